-- Structure of the access model: RLS on every table, the policies that exist, and the grants.
-- Runs with `supabase test db` against a project, and with .ci/pgtap.sh on Debian PostgreSQL 15.
begin;
select plan(78);

-- Every product table exists and has row level security enabled.
select has_table('public', t, 'table public.' || t || ' exists')
from unnest(array[
  'clients', 'client_members', 'batches', 'files', 'vendors', 'purchase_orders',
  'purchase_order_lines', 'goods_receipts', 'goods_receipt_lines', 'invoices', 'invoice_lines',
  'match_profiles', 'matches', 'extraction_cache', 'audit_events', 'client_invitations',
  'invoice_status_transitions', 'invoice_actions'
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
     and policyname <> 'clients_insert' and policyname <> 'invoices_bucket_visible'
     -- idempotency keys belong to the caller, not to a client: principal_id = auth.uid()
     and not (tablename = 'idempotency_keys'
              and coalesce(qual, with_check) = '(principal_id = ( SELECT auth.uid() AS uid))')
     -- export jobs and their files belong to whoever asked for them
     -- a mailbox's seen store and message log are written by its own principal only
     and not (tablename in ('mailbox_seen', 'mailbox_messages')
              and coalesce(with_check, qual) like '%my_mailbox_ids()%')
     and not (tablename in ('export_jobs', 'export_files')
              and coalesce(qual, with_check) like '%(created_by = ( SELECT auth.uid() AS uid))%')),
  null,
  'every membership policy goes through member_client_ids'
);

-- Policies (by name) on the key tables.
-- No insert policy on clients (public.create_client) or client_members (invitations).
select policies_are('public', 'clients',
  array['clients_select', 'clients_update', 'clients_delete']);
select policies_are('public', 'client_members',
  array['client_members_select', 'client_members_update', 'client_members_delete']);
select policies_are('public', 'invoices',
  array['invoices_select', 'invoices_insert', 'invoices_update', 'invoices_delete']);
select policies_are('public', 'match_profiles',
  array['match_profiles_select', 'match_profiles_insert', 'match_profiles_delete']);
select policies_are('public', 'audit_events', array['audit_events_select']);
select policies_are('public', 'invoice_lines', array['invoice_lines_select']);
select policies_are('public', 'matches', array['matches_select']);
select policies_are('public', 'client_invitations', array['client_invitations_select']);
select policy_roles_are('public', 'invoices', 'invoices_select', array['authenticated']);
select policy_cmd_is('public', 'audit_events', 'audit_events_select', 'SELECT',
  'audit_events has only a SELECT policy');

-- Grants: anon gets nothing; audit_events is append-only for everyone.
select is(
  (select count(*)::int from information_schema.role_table_grants
   where grantee = 'anon' and table_schema = 'public'),
  0,
  'anon holds no privilege on any public table'
);
select table_privs_are('public', 'audit_events', 'authenticated', array['SELECT']);
select table_privs_are('public', 'audit_events', 'service_role', array['INSERT', 'SELECT']);
-- invoices: table-wide only SELECT and DELETE; INSERT and UPDATE per column (below).
select table_privs_are('public', 'invoices', 'authenticated', array['DELETE', 'SELECT']);
select table_privs_are('public', 'invoice_lines', 'authenticated', array['SELECT']);
select table_privs_are('public', 'matches', 'authenticated', array['SELECT']);
select table_privs_are('public', 'client_invitations', 'authenticated', array['SELECT']);
select table_privs_are('public', 'invoice_status_transitions', 'authenticated', array[]::text[]);
select table_privs_are('public', 'invoice_actions', 'authenticated', array[]::text[]);
select is(
  (select array_agg(column_name::text order by column_name)
   from information_schema.column_privileges
   where grantee = 'authenticated' and table_schema = 'public' and table_name = 'invoices'
     and privilege_type = 'UPDATE'),
  array['customer_name', 'customer_vat_id', 'document_type', 'due_date', 'invoice_date',
        'invoice_number', 'po_number', 'vendor_name', 'vendor_vat_id'],
  'users update only the plain correction columns of invoices'
);
select is(
  (select array_agg(column_name::text order by column_name)
   from information_schema.column_privileges
   where grantee = 'authenticated' and table_schema = 'public' and table_name = 'invoices'
     and privilege_type = 'INSERT'),
  array['batch_id', 'client_id', 'file_id', 'id'],
  'users insert only what an upload names'
);
select ok(
  not has_column_privilege('authenticated', 'public.invoices', c, 'UPDATE'),
  'authenticated cannot update invoices.' || c
)
from unnest(array['status', 'total', 'vendor_iban', 'reviewed_by', 'created_by', 'currency',
                  'vendor_id', 'extraction', 'client_id', 'file_id']) as c;
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

-- The doors: security definer, pinned search_path, callable by signed-in users only; their
-- implementation is callable by nobody but its owner.
select ok(
  (select prosecdef and proconfig @> array['search_path=""'] from pg_proc where oid = f::regprocedure),
  f || ' is security definer with an empty search_path'
)
from unnest(array[
  'public.invoice_transition(uuid, text, integer, jsonb, jsonb)',
  'public.invoice_correct(uuid, text, integer, jsonb, jsonb)',
  'public.create_client(text)',
  'public.answer_client_invitation(uuid, boolean)'
]) as f;
select ok(
  not has_function_privilege('anon', 'public.invoice_transition(uuid, text, integer, jsonb, jsonb)', 'execute')
  and not has_function_privilege('authenticated', 'public.invoice_apply_action(text, uuid, text, integer, jsonb, jsonb)', 'execute')
  and not has_function_privilege('authenticated', 'public.audit_invoice_change()', 'execute'),
  'anon calls no door; users cannot call the doors'' implementation or the audit triggers'
);
-- The transition table is core/workflow/states.py's (the pytest suite compares them too), and
-- every action moves along it.
select is((select count(*)::int from public.invoice_status_transitions), 21,
  'the transition table has the 21 edges of states.TRANSITIONS');
select is_empty(
  $$select a.action, s from public.invoice_actions a, unnest(a.from_statuses) s
    where not exists (select 1 from public.invoice_status_transitions t
                      where t.from_status = s and t.to_status = a.target_status)$$,
  'every action moves only along the transition table'
);
select has_check('public', 'files', 'files has a check constraint (object key in its client)');

select * from finish();
rollback;
