-- The trust ladder (issue 14): vendor_trust is read-only to users (the streak is the database's),
-- owners pause through a door, auto_approval_reasons names each failed condition, the door
-- refuses a forced auto-approval (IFB02), and a person's clean approval raises the streak.
begin;
select plan(12);

select has_table('public', 'vendor_trust', 'table public.vendor_trust exists');
select ok((select relrowsecurity and relforcerowsecurity from pg_class
           where oid = 'public.vendor_trust'::regclass),
          'vendor_trust has row level security enabled and forced');
select ok(not has_table_privilege('authenticated', 'public.vendor_trust', 'insert')
          and not has_table_privilege('authenticated', 'public.vendor_trust', 'update')
          and not has_table_privilege('authenticated', 'public.vendor_trust', 'delete'),
          'users never write the ladder state by table access');
select ok(not has_function_privilege('anon', 'public.auto_approval_reasons(uuid)', 'execute')
          and not has_function_privilege('anon',
                'public.set_vendor_ladder_paused(uuid, uuid, boolean)', 'execute'),
          'anon calls no ladder function');
select is((public.default_approval_policy() #>> '{trust_ladder,enabled}')::boolean, false,
          'new clients start with the ladder off');

insert into auth.users (id, email, aud, role) values
  ('a4000000-0000-4000-8000-000000000001', 'owner-a@ladder.test', 'authenticated', 'authenticated'),
  ('a4000000-0000-4000-8000-000000000002', 'operator-a@ladder.test', 'authenticated', 'authenticated'),
  ('b4000000-0000-4000-8000-000000000001', 'owner-b@ladder.test', 'authenticated', 'authenticated');
insert into public.clients (id, name, created_by) values
  ('aaaaaaaa-4000-4000-8000-000000000000', 'Ladder A', 'a4000000-0000-4000-8000-000000000001'),
  ('bbbbbbbb-4000-4000-8000-000000000000', 'Ladder B', 'b4000000-0000-4000-8000-000000000001');
insert into public.client_members (client_id, user_id, role) values
  ('aaaaaaaa-4000-4000-8000-000000000000', 'a4000000-0000-4000-8000-000000000002', 'operator');
insert into public.vendors (id, client_id, name) values
  ('aaaaaaaa-4000-4000-8000-00000000000e', 'aaaaaaaa-4000-4000-8000-000000000000', 'Acme');
-- Acme has purchase orders: its invoice printing none needs a PO match (ladder.po_match)
insert into public.purchase_orders (client_id, vendor_id, po_number) values
  ('aaaaaaaa-4000-4000-8000-000000000000', 'aaaaaaaa-4000-4000-8000-00000000000e', 'PO-A1');
insert into public.invoices (id, client_id, status, vendor_id, total, currency) values
  ('aaaaaaaa-4000-4000-8000-0000000000a1', 'aaaaaaaa-4000-4000-8000-000000000000', 'matched',
   'aaaaaaaa-4000-4000-8000-00000000000e', 10, 'EUR'),
  ('aaaaaaaa-4000-4000-8000-0000000000a2', 'aaaaaaaa-4000-4000-8000-000000000000',
   'needs_review', 'aaaaaaaa-4000-4000-8000-00000000000e', 10, 'EUR');

create function pg_temp.act_as(p_user uuid) returns void language sql as $$
  select set_config('role', 'authenticated', true),
         set_config('request.jwt.claims',
                    json_build_object('sub', p_user, 'role', 'authenticated')::text, true);
$$;

select pg_temp.act_as('a4000000-0000-4000-8000-000000000002');
select results_eq(
  $$select array_agg(code order by code) from public.auto_approval_reasons(
      'aaaaaaaa-4000-4000-8000-0000000000a1')$$,
  $$values (array['ladder.lines_unreconciled', 'ladder.off', 'ladder.po_match',
                  'ladder.streak_short', 'ladder.vendor_match'])$$,
  'each failed condition is a typed reason');
select throws_ok(
  $$select public.invoice_transition('aaaaaaaa-4000-4000-8000-0000000000a1',
      'status.auto_approved', null, '{}', '{"rule": "forged"}')$$,
  'IFB02', null, 'the door refuses a forced auto-approval');
select throws_ok(
  $$select public.set_vendor_ladder_paused('aaaaaaaa-4000-4000-8000-000000000000',
      'aaaaaaaa-4000-4000-8000-00000000000e', true)$$,
  '42501', null, 'an operator cannot pause a vendor''s ladder');
select lives_ok(
  $$select public.invoice_transition('aaaaaaaa-4000-4000-8000-0000000000a2',
      'status.approved', null, '{}', '{}')$$,
  'an operator approves an invoice nobody corrected');
select results_eq($$select clean_streak from public.vendor_trust$$, array[1],
                  'a clean approval raises the vendor''s streak');
reset role;

select pg_temp.act_as('b4000000-0000-4000-8000-000000000001');
select throws_ok(
  $$select public.set_vendor_ladder_paused('aaaaaaaa-4000-4000-8000-000000000000',
      'aaaaaaaa-4000-4000-8000-00000000000e', true)$$,
  '42501', null, 'an outsider cannot pause another client''s vendor');
select is_empty($$select * from public.vendor_trust$$, 'an outsider sees no ladder state');
reset role;

select * from finish();
rollback;
