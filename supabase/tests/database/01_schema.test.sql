-- Structure of the access model: RLS on every table, the policies that exist, and the grants.
-- Runs with `supabase test db` against a project, and with .ci/pgtap.sh on Debian PostgreSQL 15.
begin;
select plan(47);

-- Every product table exists and has row level security enabled.
select has_table('public', t, 'table public.' || t || ' exists')
from unnest(array[
  'clients', 'client_members', 'batches', 'files', 'vendors', 'purchase_orders',
  'purchase_order_lines', 'goods_receipts', 'goods_receipt_lines', 'invoices', 'invoice_lines',
  'match_profiles', 'matches', 'extraction_cache', 'audit_events'
]) as t;

select is(
  (select array_agg(c.relname::text order by c.relname)
   from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname = 'public' and c.relkind = 'r' and not c.relrowsecurity),
  null,
  'no public table is without row level security'
);
select ok(
  (select relrowsecurity from pg_class where oid = 'storage.objects'::regclass),
  'storage.objects has row level security'
);

-- The one membership function: security definer, set-returning, pinned search_path; every
-- policy of the product asks it (so the membership rule lives in one place).
select ok(
  (select prosecdef from pg_proc where oid = 'public.member_client_ids(public.member_role[])'::regprocedure),
  'member_client_ids is security definer'
);
select ok(
  (select proconfig @> array['search_path=""']
   from pg_proc where oid = 'public.member_client_ids(public.member_role[])'::regprocedure),
  'member_client_ids pins an empty search_path'
);
select ok(
  not has_function_privilege('anon', 'public.member_client_ids(public.member_role[])', 'execute'),
  'anon cannot call member_client_ids'
);
select is(
  (select array_agg(policyname::text order by policyname) from pg_policies
   where (schemaname = 'public' or (schemaname = 'storage' and policyname like 'invoices\_%'))
     and coalesce(qual, '') || coalesce(with_check, '') not like '%member_client_ids%'
     and policyname <> 'clients_insert' and policyname <> 'invoices_bucket_visible'),
  null,
  'every membership policy goes through member_client_ids'
);

-- Policies (by name) on the key tables.
select policies_are('public', 'clients',
  array['clients_select', 'clients_insert', 'clients_update', 'clients_delete']);
select policies_are('public', 'client_members',
  array['client_members_select', 'client_members_insert', 'client_members_update',
        'client_members_delete']);
select policies_are('public', 'invoices',
  array['invoices_select', 'invoices_insert', 'invoices_update', 'invoices_delete']);
select policies_are('public', 'match_profiles',
  array['match_profiles_select', 'match_profiles_insert', 'match_profiles_update',
        'match_profiles_delete']);
select policies_are('public', 'audit_events', array['audit_events_select', 'audit_events_insert']);
select policy_roles_are('public', 'invoices', 'invoices_select', array['authenticated']);
select policy_cmd_is('public', 'audit_events', 'audit_events_insert', 'INSERT',
  'audit_events_insert is an INSERT policy');

-- Grants: anon gets nothing; audit_events is append-only for everyone.
select is(
  (select count(*)::int from information_schema.role_table_grants
   where grantee = 'anon' and table_schema = 'public'),
  0,
  'anon holds no privilege on any public table'
);
select table_privs_are('public', 'audit_events', 'authenticated', array['INSERT', 'SELECT']);
select table_privs_are('public', 'audit_events', 'service_role', array['INSERT', 'SELECT']);
select table_privs_are('public', 'invoices', 'authenticated',
  array['DELETE', 'INSERT', 'SELECT', 'UPDATE']);
select table_privs_are('public', 'procrastinate_jobs', 'authenticated', array[]::text[]);
select ok(
  (select relrowsecurity from pg_class where oid = 'public.procrastinate_jobs'::regclass),
  'the job queue tables have row level security'
);
select is(
  (select count(*)::int from pg_policies where tablename like 'procrastinate\_%'),
  0,
  'no policy opens the job queue to users'
);

-- Storage: the private invoices bucket and its policies.
select is(
  (select public from storage.buckets where id = 'invoices'),
  false,
  'bucket invoices exists and is private'
);
select is(
  (select count(*)::int from pg_policies
   where schemaname = 'storage' and tablename = 'objects' and policyname like 'invoices\_objects\_%'),
  4,
  'storage.objects has select/insert/update/delete policies for the invoices bucket'
);

-- Migration history in the Supabase CLI's table.
select has_table('supabase_migrations', 'schema_migrations', 'Supabase CLI history table exists');
select ok(
  (select count(*) from supabase_migrations.schema_migrations) >= 4,
  'migrations are recorded in supabase_migrations.schema_migrations'
);

-- Uploads: one security-invoker function records the upload under RLS; the only door from a
-- user session into the job table is the security-definer enqueue function.
select ok(
  not (select prosecdef from pg_proc where oid = 'public.record_upload(uuid, uuid, boolean, text, integer, text, text, text, text, bigint, text, jsonb, boolean, jsonb)'::regprocedure),
  'record_upload runs as the caller (security invoker)'
);
select ok(
  (select prosecdef from pg_proc where oid = 'public.enqueue_invoice_processing(uuid)'::regprocedure),
  'enqueue_invoice_processing is security definer'
);
select ok(
  (select proconfig @> array['search_path=public, pg_temp']
   from pg_proc where oid = 'public.enqueue_invoice_processing(uuid)'::regprocedure),
  'enqueue_invoice_processing pins its search_path'
);
select ok(
  not has_function_privilege('anon', 'public.enqueue_invoice_processing(uuid)', 'execute'),
  'anon cannot queue jobs'
);
select ok(
  has_function_privilege('authenticated', 'public.enqueue_invoice_processing(uuid)', 'execute'),
  'signed-in users may ask to queue (the function checks their role)'
);
select ok(
  not has_table_privilege('authenticated', 'public.procrastinate_jobs', 'insert'),
  'signed-in users cannot insert jobs directly'
);

select ok(
  (select prosecdef and proconfig @> array['search_path=""']
   from pg_proc where oid = 'public.invoice_ids_by_vendor(text, uuid)'::regprocedure),
  'invoice_ids_by_vendor is security definer with an empty search_path'
);
select ok(
  not has_function_privilege('anon', 'public.invoice_ids_by_vendor(text, uuid)', 'execute'),
  'anon cannot search vendors'
);

select * from finish();
rollback;
