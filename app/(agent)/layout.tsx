import type { ReactNode } from 'react';
import { requireUser } from '../current-user';
import { Nav } from '../nav';
import './workspace.css';

export const dynamic = 'force-dynamic';

export default async function AgentLayout({ children }: { children: ReactNode }) {
  const user = await requireUser();
  return (
    <>
      <Nav user={user} />
      <main className="page">{children}</main>
    </>
  );
}
