import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import './globals.css';
import { Providers } from './providers';

// Every page is rendered per request, the not-found page included: the Content-Security-Policy
// nonce is new for each response (server/http/security-headers.ts), and a page prerendered at
// build time would carry scripts without it, which the browser refuses to run.
export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Leopard', description: 'Email to case for your support team' };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
