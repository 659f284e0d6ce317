-- One score scale end to end: match scores are stored on the matcher's own 0-100 scale.
--
-- The matcher, match profiles (auto_threshold, review_threshold, margin), the console's sliders
-- and the notebooks all score 0-100; the database and the API held 0-1 (the workflow divided by
-- 100 on the way in, the console multiplied on the way out). Now every layer holds 0-100.
--   * invoices.match_score, matches.score: numeric(6, 4) held at most 99.9999; numeric(7, 4)
--     holds 100.0000. Existing values are scaled by 100 (a table rewrite: no row trigger runs).
--   * matches.candidates[].score (jsonb): scaled by 100 in place.
--   * both columns are checked to stay within 0-100.

alter table public.invoices
  alter column match_score type numeric(7, 4) using match_score * 100;
alter table public.matches
  alter column score type numeric(7, 4) using score * 100;

-- The rewrite of the candidates is a data migration, not a change anyone made: no updated_at.
alter table public.matches disable trigger matches_updated_at;
update public.matches m
   set candidates = (
     select coalesce(jsonb_agg(
              case when jsonb_typeof(c -> 'score') = 'number'
                   then jsonb_set(c, '{score}', to_jsonb(round((c ->> 'score')::numeric * 100, 4)))
                   else c end
              order by n), '[]'::jsonb)
       from jsonb_array_elements(m.candidates) with ordinality as t(c, n))
 where jsonb_typeof(m.candidates) = 'array'
   and jsonb_array_length(m.candidates) > 0;
alter table public.matches enable trigger matches_updated_at;

alter table public.invoices
  add constraint invoices_match_score_range check (match_score between 0 and 100);
alter table public.matches
  add constraint matches_score_range check (score between 0 and 100);
