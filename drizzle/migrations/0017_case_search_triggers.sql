-- cases.search_vector holds every word of a case (its messages' subjects, senders and text, and its
-- attachments' names), without positions, so that a search is one indexed condition on cases beside
-- the list's other filters. It is recomputed for the cases a statement touches, inside that
-- statement's transaction: mail is searchable the moment it is committed, and a message moved to
-- another case takes its words along. Words past ~900 KB per case are left out rather than failing
-- the insert (a tsvector holds at most 1 MB).
CREATE FUNCTION leopard_refresh_case_search(case_ids uuid[]) RETURNS void
  LANGUAGE plpgsql
  AS $$
  BEGIN
    IF case_ids IS NULL OR cardinality(case_ids) = 0 THEN
      RETURN;
    END IF;
    -- Rows locked in one order, so two transactions adding mail to the same cases wait, never deadlock.
    PERFORM 1 FROM cases WHERE id = ANY (case_ids) ORDER BY id FOR UPDATE;
    UPDATE cases c
      SET search_vector = coalesce((
        SELECT array_to_tsvector(array_agg(w.lexeme))
        FROM (
          SELECT d.lexeme, sum(octet_length(d.lexeme)) OVER (ORDER BY d.lexeme) AS total
          FROM (
            SELECT DISTINCT u.lexeme
            FROM (
              SELECT unnest(tsvector_to_array(m.search_vector)) AS lexeme
              FROM case_messages m WHERE m.case_id = c.id
              UNION ALL
              SELECT unnest(tsvector_to_array(to_tsvector('leopard_search', leopard_attachment_search_text(a.filename))))
              FROM attachments a JOIN case_messages m ON m.id = a.case_message_id WHERE m.case_id = c.id
            ) u
          ) d
        ) w
        WHERE w.total < 900000
      ), ''::tsvector)
      WHERE c.id = ANY (case_ids);
  END
  $$;
--> statement-breakpoint
CREATE FUNCTION leopard_case_messages_search_inserted() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    PERFORM leopard_refresh_case_search(ARRAY(SELECT DISTINCT case_id FROM new_rows));
    RETURN NULL;
  END
  $$;
--> statement-breakpoint
CREATE FUNCTION leopard_case_messages_search_updated() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    PERFORM leopard_refresh_case_search(ARRAY(
      SELECT o.case_id FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE o.case_id IS DISTINCT FROM n.case_id OR o.search_vector IS DISTINCT FROM n.search_vector
      UNION
      SELECT n.case_id FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE o.case_id IS DISTINCT FROM n.case_id OR o.search_vector IS DISTINCT FROM n.search_vector));
    RETURN NULL;
  END
  $$;
--> statement-breakpoint
CREATE FUNCTION leopard_case_messages_search_deleted() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    PERFORM leopard_refresh_case_search(ARRAY(SELECT DISTINCT case_id FROM old_rows));
    RETURN NULL;
  END
  $$;
--> statement-breakpoint
CREATE FUNCTION leopard_attachments_search_changed() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    IF TG_OP = 'INSERT' THEN
      PERFORM leopard_refresh_case_search(ARRAY(
        SELECT DISTINCT m.case_id FROM new_rows a JOIN case_messages m ON m.id = a.case_message_id));
    ELSIF TG_OP = 'DELETE' THEN
      PERFORM leopard_refresh_case_search(ARRAY(
        SELECT DISTINCT m.case_id FROM old_rows a JOIN case_messages m ON m.id = a.case_message_id));
    ELSE
      PERFORM leopard_refresh_case_search(ARRAY(
        SELECT m.case_id FROM old_rows o JOIN new_rows n ON n.id = o.id JOIN case_messages m ON m.id IN (o.case_message_id, n.case_message_id)
          WHERE o.filename IS DISTINCT FROM n.filename OR o.case_message_id IS DISTINCT FROM n.case_message_id));
    END IF;
    RETURN NULL;
  END
  $$;
--> statement-breakpoint
CREATE TRIGGER case_messages_search_inserted AFTER INSERT ON case_messages
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION leopard_case_messages_search_inserted();
--> statement-breakpoint
CREATE TRIGGER case_messages_search_updated AFTER UPDATE ON case_messages
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION leopard_case_messages_search_updated();
--> statement-breakpoint
CREATE TRIGGER case_messages_search_deleted AFTER DELETE ON case_messages
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION leopard_case_messages_search_deleted();
--> statement-breakpoint
CREATE TRIGGER attachments_search_inserted AFTER INSERT ON attachments
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION leopard_attachments_search_changed();
--> statement-breakpoint
CREATE TRIGGER attachments_search_updated AFTER UPDATE ON attachments
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION leopard_attachments_search_changed();
--> statement-breakpoint
CREATE TRIGGER attachments_search_deleted AFTER DELETE ON attachments
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION leopard_attachments_search_changed();
--> statement-breakpoint
-- Cases stored before search existed.
SELECT leopard_refresh_case_search(ARRAY(SELECT id FROM cases));
