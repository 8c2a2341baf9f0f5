'use client';
import { signOut } from 'next-auth/react';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import type { SessionUser } from '@/server/auth/session';

const agentLinks = [
  { href: '/cases', label: 'Cases' },
  { href: '/contacts', label: 'Contacts' },
];
// The seed's "CRM Admin" button in the top right corner: shown only to admins (the admin layout and
// the API check the role again), holding the admin pages.
const adminLinks = [
  { href: '/admin/processors', label: 'Email processors' },
  { href: '/admin/oauth-providers', label: 'OAuth providers' },
  { href: '/admin/users', label: 'Users' },
  { href: '/admin/quarantine', label: 'Quarantine' },
  { href: '/admin/audit', label: 'Audit log' },
];

export function Nav({ user }: { user: SessionUser }) {
  const pathname = usePathname();
  return (
    <header className="topbar">
      <Link href="/cases" className="brand">
        Leopard
      </Link>
      <nav aria-label="Main">
        {agentLinks.map((link) => (
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
        {user.role === 'admin' && <CrmAdminMenu pathname={pathname} />}
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

function CrmAdminMenu({ pathname }: { pathname: string }) {
  const [open, setOpen] = useState(false);
  const [openedAt, setOpenedAt] = useState(pathname);
  const root = useRef<HTMLDivElement>(null);
  // Following a link closes the menu.
  if (open && openedAt !== pathname) {
    setOpen(false);
    setOpenedAt(pathname);
  }
  useEffect(() => {
    if (!open) return;
    const closeOutside = (event: MouseEvent) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false);
    };
    const closeOnEscape = (event: KeyboardEvent) => {
      if (event.key === 'Escape') setOpen(false);
    };
    document.addEventListener('mousedown', closeOutside);
    document.addEventListener('keydown', closeOnEscape);
    return () => {
      document.removeEventListener('mousedown', closeOutside);
      document.removeEventListener('keydown', closeOnEscape);
    };
  }, [open]);
  const inAdmin = pathname.startsWith('/admin');
  return (
    <div className="admin-menu" ref={root}>
      <button
        type="button"
        className={inAdmin ? 'nav-link active admin-menu-button' : 'nav-link admin-menu-button'}
        aria-expanded={open}
        aria-controls="crm-admin-menu"
        onClick={() => {
          setOpenedAt(pathname);
          setOpen(!open);
        }}
      >
        CRM Admin <span aria-hidden="true">▾</span>
      </button>
      {open && (
        <nav id="crm-admin-menu" aria-label="CRM Admin" className="admin-menu-list">
          {adminLinks.map((link) => (
            <Link
              key={link.href}
              href={link.href}
              className={pathname.startsWith(link.href) ? 'admin-menu-link active' : 'admin-menu-link'}
              aria-current={pathname.startsWith(link.href) ? 'page' : undefined}
              onClick={() => setOpen(false)}
            >
              {link.label}
            </Link>
          ))}
        </nav>
      )}
    </div>
  );
}
