-- A message written into a case that was merged goes to the case it was merged into, following chains
-- (a case merged into one that was merged in turn). The intake already resolves tags of merged cases
-- (server/services/case-intake.ts); this covers the race where a message was placed in a case just
-- before an agent merged it. FOR KEY SHARE waits for a merge of that case still under way and then
-- reads its outcome, so the message is never left behind in the merged case.
CREATE FUNCTION leopard_case_messages_follow_merge() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  DECLARE
    next_id uuid;
    hops integer := 0;
  BEGIN
    LOOP
      SELECT merged_into_id INTO next_id FROM cases WHERE id = NEW.case_id FOR KEY SHARE;
      EXIT WHEN next_id IS NULL;
      NEW.case_id := next_id;
      hops := hops + 1;
      IF hops > 1000 THEN
        RAISE EXCEPTION 'cases merged into each other in a loop at %', NEW.case_id;
      END IF;
    END LOOP;
    RETURN NEW;
  END
  $$;
--> statement-breakpoint
CREATE TRIGGER case_messages_follow_merge BEFORE INSERT ON case_messages
  FOR EACH ROW EXECUTE FUNCTION leopard_case_messages_follow_merge();
