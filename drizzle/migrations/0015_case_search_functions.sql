-- Search in any language, accents ignored (server/services/cases.ts). unaccent ships with Postgres'
-- contrib (Debian's packages and the embedded build) and is a trusted extension: a database owner
-- may create it.
CREATE EXTENSION IF NOT EXISTS unaccent;
--> statement-breakpoint
-- 'simple' (no stemming, so no English-only surprises), with accents removed from words first:
-- "resume" finds "résumé", and ts_headline still shows the word as it was written.
CREATE TEXT SEARCH CONFIGURATION leopard_search (COPY = simple);
--> statement-breakpoint
ALTER TEXT SEARCH CONFIGURATION leopard_search ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;
--> statement-breakpoint
-- Chinese and Japanese are written without spaces, so the parser would take a whole sentence for one
-- word: each Han, kana or Hangul character becomes a word of its own (followed by \x01, which the
-- parser treats as a blank and the snippet code removes), and a search for a CJK word looks for its
-- characters as a phrase, next to each other in order. \x01-\x03 in the text itself become spaces:
-- \x02 and \x03 mark the highlighted words of a snippet.
CREATE FUNCTION leopard_search_text(t text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$
    SELECT regexp_replace(
      regexp_replace(t, '[\x01-\x03]', ' ', 'g'),
      '([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f])',
      E'\\1\x01',
      'g')
  $$;
--> statement-breakpoint
-- A message's searchable text: subject, sender (whole address, its domain and its parts, so that
-- "jane", "customer.test" and "jane@customer.test" all find it) and the first 100,000 characters of
-- its text, which keeps every vector far below Postgres' 1 MB limit for a tsvector.
CREATE FUNCTION leopard_message_search_text(subject text, from_name text, from_address text, body text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$
    SELECT leopard_search_text(
      coalesce(subject, '') || E'\n' || coalesce(from_name, '') || E'\n' || coalesce(from_address, '') || E'\n'
      || split_part(coalesce(from_address, ''), '@', 2) || E'\n'
      || regexp_replace(coalesce(from_address, ''), '[@._+-]+', ' ', 'g') || E'\n'
      || left(coalesce(body, ''), 100000))
  $$;
--> statement-breakpoint
-- An attachment's name, whole and in its parts: "report" and "report.pdf" both find "report.pdf".
CREATE FUNCTION leopard_attachment_search_text(filename text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$
    SELECT leopard_search_text(coalesce(filename, '') || ' ' || regexp_replace(coalesce(filename, ''), '[._-]+', ' ', 'g'))
  $$;
