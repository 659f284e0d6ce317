-- Per-vendor extraction hints (issue 14): RLS enabled and forced, members read, owners and
-- operators add/adjust/remove as themselves, nobody moves a hint to another client, vendor or
-- field, the teacher is stamped, every change is audited, nothing crosses clients.
begin;
select plan(14);

select has_table('public', 'vendor_extraction_hints', 'table public.vendor_extraction_hints exists');
select ok((select relrowsecurity and relforcerowsecurity from pg_class
           where oid = 'public.vendor_extraction_hints'::regclass),
          'vendor_extraction_hints has row level security enabled and forced');
select ok(not has_table_privilege('anon', 'public.vendor_extraction_hints', 'select'),
          'anon has no privilege on vendor_extraction_hints');
select ok(not has_column_privilege('authenticated', 'public.vendor_extraction_hints', 'client_id', 'update')
          and not has_column_privilege('authenticated', 'public.vendor_extraction_hints', 'vendor_id', 'update')
          and not has_column_privilege('authenticated', 'public.vendor_extraction_hints', 'field', 'update'),
          'a hint never moves to another client, vendor or field');
select ok(not has_column_privilege('authenticated', 'public.vendor_extraction_hints', 'learned_from', 'insert'),
          'users do not write who taught a hint');

insert into auth.users (id, email, aud, role) values
  ('a3000000-0000-4000-8000-000000000001', 'owner-a@hint.test', 'authenticated', 'authenticated'),
  ('a3000000-0000-4000-8000-000000000002', 'operator-a@hint.test', 'authenticated', 'authenticated'),
  ('a3000000-0000-4000-8000-000000000004', 'viewer-a@hint.test', 'authenticated', 'authenticated'),
  ('b3000000-0000-4000-8000-000000000001', 'owner-b@hint.test', 'authenticated', 'authenticated');
insert into public.clients (id, name, created_by) values
  ('aaaaaaaa-3000-4000-8000-000000000000', 'Hint A', 'a3000000-0000-4000-8000-000000000001'),
  ('bbbbbbbb-3000-4000-8000-000000000000', 'Hint B', 'b3000000-0000-4000-8000-000000000001');
insert into public.client_members (client_id, user_id, role) values
  ('aaaaaaaa-3000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000002', 'operator'),
  ('aaaaaaaa-3000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000004', 'viewer');
insert into public.vendors (id, client_id, name) values
  ('aaaaaaaa-3000-4000-8000-00000000000e', 'aaaaaaaa-3000-4000-8000-000000000000', 'Acme'),
  ('bbbbbbbb-3000-4000-8000-00000000000e', 'bbbbbbbb-3000-4000-8000-000000000000', 'B Vendor');
insert into public.vendor_extraction_hints (client_id, vendor_id, field, anchor, direction, page,
                                            region) values
  ('bbbbbbbb-3000-4000-8000-000000000000', 'bbbbbbbb-3000-4000-8000-00000000000e', 'total',
   'b total', 'inline', 1, '{0,0,1,1}');

create function pg_temp.act_as(p_user uuid) returns void language sql as $$
  select set_config('role', 'authenticated', true),
         set_config('request.jwt.claims',
                    json_build_object('sub', p_user, 'role', 'authenticated')::text, true);
$$;

select pg_temp.act_as('a3000000-0000-4000-8000-000000000002');
select results_eq(
  $$insert into public.vendor_extraction_hints (client_id, vendor_id, field, anchor, direction,
      page, region)
    values ('aaaaaaaa-3000-4000-8000-000000000000', 'aaaaaaaa-3000-4000-8000-00000000000e',
            'invoice_number', 'job sheet', 'inline', 1, '{0.1,0.2,0.3,0.25}')
    returning learned_from$$,
  array['operator-a@hint.test'],
  'operator of A learns a hint; the database names the teacher');
select is_empty($$select id from public.vendor_extraction_hints where client_id = 'bbbbbbbb-3000-4000-8000-000000000000'$$,
                'operator of A sees no hint of B');
select throws_ok(
  $$insert into public.vendor_extraction_hints (client_id, vendor_id, field, anchor, direction,
      page, region)
    values ('aaaaaaaa-3000-4000-8000-000000000000', 'bbbbbbbb-3000-4000-8000-00000000000e',
            'total', 'x', 'inline', 1, '{0,0,1,1}')$$,
  '23503', null, 'a hint of A cannot name B''s vendor');
select lives_ok($$update public.vendor_extraction_hints set weight = weight + 1$$,
                'operator of A weighs A''s hint');
select results_eq($$select weight from public.vendor_extraction_hints$$, array[2.00::numeric(6,2)],
                  'only A''s hint was weighed');
reset role;

select pg_temp.act_as('a3000000-0000-4000-8000-000000000004');
select is_empty($$update public.vendor_extraction_hints set weight = 99 returning id$$,
                'a viewer weighs no hint');
select is_empty($$delete from public.vendor_extraction_hints returning id$$,
                'a viewer removes no hint');
reset role;

select pg_temp.act_as('b3000000-0000-4000-8000-000000000001');
select is_empty($$delete from public.vendor_extraction_hints
                  where client_id = 'aaaaaaaa-3000-4000-8000-000000000000' returning id$$,
                'owner of B removes no hint of A');
reset role;

select results_eq(
  $$select action from public.audit_events
    where client_id = 'aaaaaaaa-3000-4000-8000-000000000000' and action like 'vendor.hint_%'
    order by id$$,
  array['vendor.hint_learned', 'vendor.hint_weighted'],
  'learning and weighing a hint are audited');

select * from finish();
rollback;
