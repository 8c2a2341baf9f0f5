import { ContactList } from './contact-list';

export default function ContactsPage() {
  return (
    <>
      <div className="page-header">
        <h1>Contacts</h1>
      </div>
      <ContactList />
    </>
  );
}
