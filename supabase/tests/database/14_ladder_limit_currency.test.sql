-- The trust ladder's total limit in its currency (migration 20261207230000): with
-- trust_ladder.max_total_currency set, an invoice in another currency, or with none read, is not
-- approved straight through (ladder.total_over_limit says why); without it, the bare numbers
-- compare as before.
begin;
select plan(9);

insert into auth.users (id, email, aud, role) values
  ('a7000000-0000-4000-8000-000000000001', 'owner@limit.test', 'authenticated', 'authenticated'),
  ('a7000000-0000-4000-8000-000000000002', 'operator@limit.test', 'authenticated', 'authenticated'),
  ('b7000000-0000-4000-8000-000000000001', 'owner@other-limit.test', 'authenticated', 'authenticated');
insert into public.clients (id, name, created_by) values
  ('aaaaaaaa-7000-4000-8000-000000000000', 'Limit A', 'a7000000-0000-4000-8000-000000000001'),
  ('bbbbbbbb-7000-4000-8000-000000000000', 'Limit B', 'b7000000-0000-4000-8000-000000000001');
insert into public.client_members (client_id, user_id, role) values
  ('aaaaaaaa-7000-4000-8000-000000000000', 'a7000000-0000-4000-8000-000000000002', 'operator');
insert into public.approval_policies (client_id, version, name, policy, is_active) values
  ('aaaaaaaa-7000-4000-8000-000000000000', 1, 'limit in EUR',
   public.default_approval_policy() || jsonb_build_object('trust_ladder', jsonb_build_object(
     'enabled', true, 'clean_invoices', 3, 'max_total', 1000, 'max_total_currency', 'EUR')),
   true),
  ('bbbbbbbb-7000-4000-8000-000000000000', 1, 'bare limit',
   public.default_approval_policy() || jsonb_build_object('trust_ladder', jsonb_build_object(
     'enabled', true, 'clean_invoices', 3, 'max_total', 1000)),
   true);
insert into public.vendors (id, client_id, name) values
  ('aaaaaaaa-7000-4000-8000-00000000000e', 'aaaaaaaa-7000-4000-8000-000000000000', 'Acme'),
  ('bbbbbbbb-7000-4000-8000-00000000000e', 'bbbbbbbb-7000-4000-8000-000000000000', 'Acme B');
-- A: e1 EUR under the limit, e2 GBP under it as a number, e3 no currency read, e4 EUR above;
-- B (no limit currency): f1 GBP under the limit as a number
insert into public.invoices (id, client_id, status, vendor_id, total, currency) values
  ('aaaaaaaa-7000-4000-8000-0000000000e1', 'aaaaaaaa-7000-4000-8000-000000000000',
   'needs_review', 'aaaaaaaa-7000-4000-8000-00000000000e', 500, 'EUR'),
  ('aaaaaaaa-7000-4000-8000-0000000000e2', 'aaaaaaaa-7000-4000-8000-000000000000',
   'needs_review', 'aaaaaaaa-7000-4000-8000-00000000000e', 500, 'GBP'),
  ('aaaaaaaa-7000-4000-8000-0000000000e3', 'aaaaaaaa-7000-4000-8000-000000000000',
   'needs_review', 'aaaaaaaa-7000-4000-8000-00000000000e', 500, null),
  ('aaaaaaaa-7000-4000-8000-0000000000e4', 'aaaaaaaa-7000-4000-8000-000000000000',
   'needs_review', 'aaaaaaaa-7000-4000-8000-00000000000e', 1500, 'EUR'),
  ('bbbbbbbb-7000-4000-8000-0000000000f1', 'bbbbbbbb-7000-4000-8000-000000000000',
   'needs_review', 'bbbbbbbb-7000-4000-8000-00000000000e', 500, 'GBP');

create function pg_temp.act_as(p_user uuid) returns void language sql as $$
  select set_config('role', 'authenticated', true),
         set_config('request.jwt.claims',
                    json_build_object('sub', p_user, 'role', 'authenticated')::text, true);
$$;
create function pg_temp.limit_reason(p_invoice uuid) returns text language sql as $$
  select r.message from public.auto_approval_reasons(p_invoice) r
   where r.code = 'ladder.total_over_limit'
$$;

select pg_temp.act_as('a7000000-0000-4000-8000-000000000002');
select ok(pg_temp.limit_reason('aaaaaaaa-7000-4000-8000-0000000000e1') is null,
          'an invoice in the limit''s currency under the limit passes the limit');
select is(pg_temp.limit_reason('aaaaaaaa-7000-4000-8000-0000000000e2'),
          'The limit is set in EUR; this invoice is in GBP.',
          'an invoice in another currency waits for a person, whatever its number');
select is(pg_temp.limit_reason('aaaaaaaa-7000-4000-8000-0000000000e3'),
          'The limit is set in EUR; this invoice is in no currency read.',
          'an invoice with no currency read waits for a person');
select is(pg_temp.limit_reason('aaaaaaaa-7000-4000-8000-0000000000e4'),
          'The total 1500.00 is above the limit 1000.',
          'an invoice in the limit''s currency above the limit waits for a person');
select is((select r.detail ->> 'max_total_currency' from public.auto_approval_reasons(
             'aaaaaaaa-7000-4000-8000-0000000000e2') r where r.code = 'ladder.total_over_limit'),
          'EUR', 'the reason''s detail names the limit''s currency');
reset role;

select pg_temp.act_as('b7000000-0000-4000-8000-000000000001');
select ok(pg_temp.limit_reason('bbbbbbbb-7000-4000-8000-0000000000f1') is null,
          'a policy that names no currency compares the bare numbers, as saved policies did');
select throws_ok(
  $$select * from public.auto_approval_reasons('aaaaaaaa-7000-4000-8000-0000000000e2')$$,
  'P0002', null, 'an outsider reads nothing of another client''s invoice (not found)');
reset role;
select throws_ok(
  $$set local role anon; select * from public.auto_approval_reasons(
      'aaaaaaaa-7000-4000-8000-0000000000e2')$$,
  '42501', null, 'anon may not call auto_approval_reasons');
select is(public.approval_policy_valid(public.default_approval_policy()
          || '{"trust_ladder": {"max_total": 5, "max_total_currency": "EUR"}}'::jsonb), true,
          'a policy with a limit currency is a valid policy');

select * from finish();
rollback;
