-- One enqueue path (issue 12): the upload's door queues through procrastinate's own defer
-- function and no function of ours writes procrastinate's tables; match scores are 0-100.
begin;
select plan(7);

select ok(
  (select prosecdef from pg_proc where oid = 'public.enqueue_invoice_processing(uuid)'::regprocedure),
  'enqueue_invoice_processing is security definer'
);
select ok(
  (select prosrc like '%procrastinate_defer_jobs_v1%'
     from pg_proc where oid = 'public.enqueue_invoice_processing(uuid)'::regprocedure),
  'enqueue_invoice_processing defers through procrastinate_defer_jobs_v1'
);
select is(
  (select count(*)::int from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'public' and p.proname not like 'procrastinate\_%'
      and p.prosrc ~* '(insert\s+into|update|delete\s+from)\s+(public\.)?procrastinate_'),
  0,
  'no function of ours writes procrastinate''s tables'
);
select ok(
  not has_function_privilege('authenticated', 'public.procrastinate_defer_jobs_v1(public.procrastinate_job_to_defer_v1[])', 'execute'),
  'users cannot defer jobs themselves'
);
select col_type_is('public', 'invoices', 'match_score', 'numeric(7,4)', 'invoices.match_score holds 0-100');
select col_type_is('public', 'matches', 'score', 'numeric(7,4)', 'matches.score holds 0-100');
select ok(
  exists (select 1 from pg_constraint where conname = 'matches_score_range')
  and exists (select 1 from pg_constraint where conname = 'invoices_match_score_range'),
  'both scores are checked to stay within 0-100'
);

select * from finish();
rollback;
