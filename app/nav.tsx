'use client';
import { signOut } from 'next-auth/react';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import type { SessionUser } from '@/server/auth/session';

const agentLinks = [
  { href: '/cases', label: 'Cases' },
  { href: '/contacts', label: 'Contacts' },
];
const adminLinks = [
  { href: '/admin/processors', label: 'Email processors' },
  { href: '/admin/quarantine', label: 'Quarantine' },
  { href: '/admin/users', label: 'Users' },
  { href: '/admin/audit', label: 'Audit log' },
];

export function Nav({ user }: { user: SessionUser }) {
  const pathname = usePathname();
  const links = user.role === 'admin' ? [...agentLinks, ...adminLinks] : agentLinks;
  return (
    <header className="topbar">
      <Link href="/cases" className="brand">
        Leopard
      </Link>
      <nav aria-label="Main">
        {links.map((link) => (
          <Link
            key={link.href}
            href={link.href}
            className={pathname.startsWith(link.href) ? 'nav-link active' : 'nav-link'}
            aria-current={pathname.startsWith(link.href) ? 'page' : undefined}
          >
            {link.label}
          </Link>
        ))}
      </nav>
      <div className="topbar-user">
        <span title={user.email}>
          {user.name} <span className="badge">{user.role}</span>
        </span>
        <button type="button" className="button ghost" onClick={() => signOut({ callbackUrl: '/sign-in' })}>
          Sign out
        </button>
      </div>
    </header>
  );
}
