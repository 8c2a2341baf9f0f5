import { redirect } from 'next/navigation';
import { getCurrentUser } from './current-user';

export const dynamic = 'force-dynamic';

export default async function Home() {
  redirect((await getCurrentUser()) ? '/cases' : '/sign-in');
}
