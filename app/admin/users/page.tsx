import { UsersAdmin } from './users-admin';

export default function UsersPage() {
  return (
    <>
      <div className="page-header">
        <h1>Users</h1>
        <p className="muted">Agents work cases; admins also manage mailboxes, filters and users.</p>
      </div>
      <UsersAdmin />
    </>
  );
}
