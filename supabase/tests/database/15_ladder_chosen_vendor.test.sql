-- The trust ladder's streak and a chosen vendor (migration 20261208090000): choosing the vendor
-- of an invoice whose vendor match proposed none is a decision, not a correction. It neither
-- resets the vendor's streak nor makes that invoice's approval unclean. Overriding a match that
-- proposed another vendor still resets. The rule itself is the database's own: no API role may
-- call it, and another client's member cannot decide this client's match.
begin;
select plan(10);

insert into auth.users (id, email, aud, role) values
  ('a6000000-0000-4000-8000-000000000001', 'owner@chosen.test', 'authenticated', 'authenticated'),
  ('a6000000-0000-4000-8000-000000000002', 'operator@chosen.test', 'authenticated', 'authenticated'),
  ('a6000000-0000-4000-8000-000000000003', 'outsider@chosen.test', 'authenticated', 'authenticated');
insert into public.clients (id, name, created_by) values
  ('aaaaaaaa-6000-4000-8000-000000000000', 'Chosen A', 'a6000000-0000-4000-8000-000000000001'),
  ('bbbbbbbb-6000-4000-8000-000000000000', 'Chosen B', 'a6000000-0000-4000-8000-000000000003');
insert into public.client_members (client_id, user_id, role) values
  ('aaaaaaaa-6000-4000-8000-000000000000', 'a6000000-0000-4000-8000-000000000002', 'operator');
insert into public.vendors (id, client_id, name) values
  ('aaaaaaaa-6000-4000-8000-00000000000e', 'aaaaaaaa-6000-4000-8000-000000000000', 'Acme'),
  ('aaaaaaaa-6000-4000-8000-00000000000f', 'aaaaaaaa-6000-4000-8000-000000000000', 'Other');
-- e1: its vendor match proposed no vendor; e2: its vendor match proposed "Other"
insert into public.invoices (id, client_id, status, vendor_id, vendor_name, total, currency) values
  ('aaaaaaaa-6000-4000-8000-0000000000e1', 'aaaaaaaa-6000-4000-8000-000000000000',
   'needs_review', null, 'Acme Trading', 10, 'EUR'),
  ('aaaaaaaa-6000-4000-8000-0000000000e2', 'aaaaaaaa-6000-4000-8000-000000000000',
   'needs_review', 'aaaaaaaa-6000-4000-8000-00000000000f', 'Acme Trading', 10, 'EUR');
insert into public.matches (id, client_id, invoice_id, kind, vendor_id, band) values
  ('aaaaaaaa-6000-4000-8000-0000000000d1', 'aaaaaaaa-6000-4000-8000-000000000000',
   'aaaaaaaa-6000-4000-8000-0000000000e1', 'vendor', null, 'review'),
  ('aaaaaaaa-6000-4000-8000-0000000000d2', 'aaaaaaaa-6000-4000-8000-000000000000',
   'aaaaaaaa-6000-4000-8000-0000000000e2', 'vendor', 'aaaaaaaa-6000-4000-8000-00000000000f',
   'review');
insert into public.vendor_trust (client_id, vendor_id, clean_streak) values
  ('aaaaaaaa-6000-4000-8000-000000000000', 'aaaaaaaa-6000-4000-8000-00000000000e', 2);

create function pg_temp.act_as(p_user uuid) returns void language sql as $$
  select set_config('role', 'authenticated', true),
         set_config('request.jwt.claims',
                    json_build_object('sub', p_user, 'role', 'authenticated')::text, true);
$$;
create function pg_temp.streak() returns table (streak integer, last_reset text)
language sql as $$
  select clean_streak, last_reset_action from public.vendor_trust
   where vendor_id = 'aaaaaaaa-6000-4000-8000-00000000000e'
$$;

select pg_temp.act_as('a6000000-0000-4000-8000-000000000003');
select throws_ok(
  $$select public.invoice_correct('aaaaaaaa-6000-4000-8000-0000000000e1', 'match.overridden',
      null, '{"match": {"id": "aaaaaaaa-6000-4000-8000-0000000000d1",
                        "vendor_id": "aaaaaaaa-6000-4000-8000-00000000000e"}}', '{}')$$,
  null, null, 'another client''s member cannot choose this client''s vendor');
select throws_ok(
  $$select public.trust_ladder_resets('match.overridden', null, null, '{}', null)$$,
  '42501', null, 'an authenticated caller cannot call the rule');
reset role;
set local role anon;
select throws_ok(
  $$select public.trust_ladder_resets('match.overridden', null, null, '{}', null)$$,
  '42501', null, 'anon cannot call the rule');
reset role;

select pg_temp.act_as('a6000000-0000-4000-8000-000000000002');
select lives_ok(
  $$select public.invoice_correct('aaaaaaaa-6000-4000-8000-0000000000e1', 'match.overridden',
      null, '{"match": {"id": "aaaaaaaa-6000-4000-8000-0000000000d1",
                        "vendor_id": "aaaaaaaa-6000-4000-8000-00000000000e"}}', '{}')$$,
  'an operator chooses the vendor of an invoice whose match proposed none');
select results_eq($$select * from pg_temp.streak()$$, $$values (2, null::text)$$,
                  'choosing the vendor where none was proposed does not reset the streak');
select lives_ok(
  $$select public.invoice_transition('aaaaaaaa-6000-4000-8000-0000000000e1', 'status.approved',
      null, '{}', '{}')$$,
  'the operator approves that invoice');
select results_eq($$select * from pg_temp.streak()$$, $$values (3, null::text)$$,
                  'its approval counts as clean');
select lives_ok(
  $$select public.invoice_correct('aaaaaaaa-6000-4000-8000-0000000000e2', 'match.overridden',
      null, '{"match": {"id": "aaaaaaaa-6000-4000-8000-0000000000d2",
                        "vendor_id": "aaaaaaaa-6000-4000-8000-00000000000e"}}', '{}')$$,
  'the operator overrides a match that proposed another vendor');
select results_eq($$select * from pg_temp.streak()$$, $$values (0, 'match.overridden')$$,
                  'overriding a wrong vendor proposal resets the streak');
reset role;
select ok(public.trust_ladder_resets('match.overridden', null, null, '{"kind": "vendor"}', null),
          'an override recorded before its match was (no before_match) still resets');

select * from finish();
rollback;
