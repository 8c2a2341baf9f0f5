import { redirect } from 'next/navigation';
import { getCurrentUser } from '../current-user';
import { SignInForm } from './sign-in-form';

export const dynamic = 'force-dynamic';

export default async function SignInPage() {
  if (await getCurrentUser()) redirect('/cases');
  return (
    <main className="sign-in">
      <div className="card sign-in-card">
        <h1 className="brand">Leopard</h1>
        <p className="muted">Sign in to work your cases.</p>
        <SignInForm />
      </div>
    </main>
  );
}
