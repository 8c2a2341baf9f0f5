// A case's statuses, in the order the case list and forms offer them. The database enum (case_status), the
// API's input checks and the UI's labels are all made from this list.
export const CASE_STATUSES = ['new', 'open', 'pending', 'closed'] as const;

export type CaseStatus = (typeof CASE_STATUSES)[number];
