-- The intake writes a round's messages and then their attachments, two statements that each refreshed the
-- same cases' search_vector: every refresh is a new version of the case row, with all its index entries
-- (the GIN index on search_vector takes every word again). The intake now says so for its transaction
-- (leopard.case_search = 'deferred', set_config … local) and refreshes the cases of the round once,
-- after both (server/services/case-intake.ts); every other writer keeps the immediate refresh.
-- A refresh also leaves alone a case whose words did not change (a reply quoting what the case holds).
CREATE OR REPLACE FUNCTION leopard_refresh_case_search(case_ids uuid[]) RETURNS void
  LANGUAGE plpgsql
  AS $$
  BEGIN
    IF case_ids IS NULL OR cardinality(case_ids) = 0 THEN
      RETURN;
    END IF;
    -- Rows locked in one order, so two transactions adding mail to the same cases wait, never deadlock.
    PERFORM 1 FROM cases WHERE id = ANY (case_ids) ORDER BY id FOR UPDATE;
    UPDATE cases c
      SET search_vector = v.search_vector
      FROM (
        SELECT k.id, coalesce((
          SELECT array_to_tsvector(array_agg(w.lexeme))
          FROM (
            SELECT d.lexeme, sum(octet_length(d.lexeme)) OVER (ORDER BY d.lexeme) AS total
            FROM (
              SELECT DISTINCT u.lexeme
              FROM (
                SELECT unnest(tsvector_to_array(m.search_vector)) AS lexeme
                FROM case_messages m WHERE m.case_id = k.id
                UNION ALL
                SELECT unnest(tsvector_to_array(to_tsvector('leopard_search', leopard_attachment_search_text(a.filename))))
                FROM attachments a JOIN case_messages m ON m.id = a.case_message_id WHERE m.case_id = k.id
              ) u
            ) d
          ) w
          WHERE w.total < 900000
        ), ''::tsvector) AS search_vector
        FROM cases k WHERE k.id = ANY (case_ids)
      ) v
      WHERE c.id = v.id AND c.search_vector IS DISTINCT FROM v.search_vector;
  END
  $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION leopard_case_search_deferred() RETURNS boolean
  LANGUAGE sql STABLE
  AS $$ SELECT coalesce(current_setting('leopard.case_search', true), '') = 'deferred' $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION leopard_case_messages_search_inserted() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    IF leopard_case_search_deferred() THEN
      RETURN NULL;
    END IF;
    PERFORM leopard_refresh_case_search(ARRAY(SELECT DISTINCT case_id FROM new_rows));
    RETURN NULL;
  END
  $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION leopard_attachments_search_changed() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    IF TG_OP = 'INSERT' THEN
      IF leopard_case_search_deferred() THEN
        RETURN NULL;
      END IF;
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
