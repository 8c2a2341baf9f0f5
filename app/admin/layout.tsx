import type { ReactNode } from 'react';
import { requireUser } from '../current-user';
import { Nav } from '../nav';

export const dynamic = 'force-dynamic';

// The role is checked here, on the server, for every admin page; the API checks it again.
export default async function AdminLayout({ children }: { children: ReactNode }) {
  const user = await requireUser();
  return (
    <>
      <Nav user={user} />
      <main className="page">
        {user.role === 'admin' ? (
          children
        ) : (
          <section className="card not-allowed" data-testid="not-allowed">
            <h1>Not allowed</h1>
            <p>
              The CRM Admin area needs the admin role. Your account ({user.email}) is an agent account. Ask your
              CRM administrator if you need access.
            </p>
          </section>
        )}
      </main>
    </>
  );
}
