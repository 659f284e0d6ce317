-- The trust ladder's streak semantics (migration 20261207100000): the streak is the vendor's
-- record of being read and matched exactly. A vendor-match rejection, a correction that changed
-- something and a rejection reset it; purchase-order match decisions and the rejection of an
-- invoice the product flagged as a possible duplicate do not, and an invoice whose PO match was
-- rejected still counts as clean when approved. The PO rule: a PO match is needed when the
-- invoice prints a PO number or its vendor has purchase orders; a vendor with none and an invoice
-- printing none need none.
begin;
select plan(12);

insert into auth.users (id, email, aud, role) values
  ('a5000000-0000-4000-8000-000000000001', 'owner@streak.test', 'authenticated', 'authenticated'),
  ('a5000000-0000-4000-8000-000000000002', 'operator@streak.test', 'authenticated', 'authenticated');
insert into public.clients (id, name, created_by) values
  ('aaaaaaaa-5000-4000-8000-000000000000', 'Streak A', 'a5000000-0000-4000-8000-000000000001');
insert into public.client_members (client_id, user_id, role) values
  ('aaaaaaaa-5000-4000-8000-000000000000', 'a5000000-0000-4000-8000-000000000002', 'operator');
insert into public.vendors (id, client_id, name) values
  ('aaaaaaaa-5000-4000-8000-00000000000e', 'aaaaaaaa-5000-4000-8000-000000000000', 'Acme'),
  ('aaaaaaaa-5000-4000-8000-00000000000f', 'aaaaaaaa-5000-4000-8000-000000000000', 'Utility');
insert into public.purchase_orders (id, client_id, vendor_id, po_number) values
  ('aaaaaaaa-5000-4000-8000-0000000000f1', 'aaaaaaaa-5000-4000-8000-000000000000',
   'aaaaaaaa-5000-4000-8000-00000000000e', 'PO-1');
-- b1: PO match decided; b2: vendor match rejected; b3: flagged duplicate, rejected;
-- b4: rejected (no flag); b5: corrected; c1: Acme, no PO printed; c2: Utility, none printed;
-- c3: Utility, a PO printed
insert into public.invoices (id, client_id, status, vendor_id, total, currency, po_number) values
  ('aaaaaaaa-5000-4000-8000-0000000000b1', 'aaaaaaaa-5000-4000-8000-000000000000',
   'needs_review', 'aaaaaaaa-5000-4000-8000-00000000000e', 10, 'EUR', 'PO-9X'),
  ('aaaaaaaa-5000-4000-8000-0000000000b2', 'aaaaaaaa-5000-4000-8000-000000000000',
   'needs_review', 'aaaaaaaa-5000-4000-8000-00000000000e', 10, 'EUR', null),
  ('aaaaaaaa-5000-4000-8000-0000000000b3', 'aaaaaaaa-5000-4000-8000-000000000000',
   'needs_review', 'aaaaaaaa-5000-4000-8000-00000000000e', 10, 'EUR', null),
  ('aaaaaaaa-5000-4000-8000-0000000000b4', 'aaaaaaaa-5000-4000-8000-000000000000',
   'needs_review', 'aaaaaaaa-5000-4000-8000-00000000000e', 10, 'EUR', null),
  ('aaaaaaaa-5000-4000-8000-0000000000b5', 'aaaaaaaa-5000-4000-8000-000000000000',
   'needs_review', 'aaaaaaaa-5000-4000-8000-00000000000e', 10, 'EUR', null),
  ('aaaaaaaa-5000-4000-8000-0000000000c1', 'aaaaaaaa-5000-4000-8000-000000000000',
   'needs_review', 'aaaaaaaa-5000-4000-8000-00000000000e', 10, 'EUR', null),
  ('aaaaaaaa-5000-4000-8000-0000000000c2', 'aaaaaaaa-5000-4000-8000-000000000000',
   'needs_review', 'aaaaaaaa-5000-4000-8000-00000000000f', 10, 'EUR', null),
  ('aaaaaaaa-5000-4000-8000-0000000000c3', 'aaaaaaaa-5000-4000-8000-000000000000',
   'needs_review', 'aaaaaaaa-5000-4000-8000-00000000000f', 10, 'EUR', 'PO-7');
insert into public.matches (id, client_id, invoice_id, kind, vendor_id, band) values
  ('aaaaaaaa-5000-4000-8000-0000000000d1', 'aaaaaaaa-5000-4000-8000-000000000000',
   'aaaaaaaa-5000-4000-8000-0000000000b1', 'purchase_order', null, 'review'),
  ('aaaaaaaa-5000-4000-8000-0000000000d2', 'aaaaaaaa-5000-4000-8000-000000000000',
   'aaaaaaaa-5000-4000-8000-0000000000b2', 'vendor', 'aaaaaaaa-5000-4000-8000-00000000000e',
   'review');
insert into public.matches (client_id, invoice_id, kind, duplicate_of_invoice_id, band) values
  ('aaaaaaaa-5000-4000-8000-000000000000', 'aaaaaaaa-5000-4000-8000-0000000000b3', 'duplicate',
   'aaaaaaaa-5000-4000-8000-0000000000b4', 'review');
insert into public.vendor_trust (client_id, vendor_id, clean_streak) values
  ('aaaaaaaa-5000-4000-8000-000000000000', 'aaaaaaaa-5000-4000-8000-00000000000e', 5);

create function pg_temp.act_as(p_user uuid) returns void language sql as $$
  select set_config('role', 'authenticated', true),
         set_config('request.jwt.claims',
                    json_build_object('sub', p_user, 'role', 'authenticated')::text, true);
$$;
create function pg_temp.streak() returns table (streak integer, last_reset text)
language sql as $$
  select clean_streak, last_reset_action from public.vendor_trust
   where vendor_id = 'aaaaaaaa-5000-4000-8000-00000000000e'
$$;

select pg_temp.act_as('a5000000-0000-4000-8000-000000000002');
select lives_ok(
  $$select public.invoice_correct('aaaaaaaa-5000-4000-8000-0000000000b1', 'match.rejected',
      null, '{"match": {"id": "aaaaaaaa-5000-4000-8000-0000000000d1"}}', '{}')$$,
  'an operator rejects a purchase-order match');
select results_eq($$select * from pg_temp.streak()$$, $$values (5, null::text)$$,
                  'a PO match decision does not reset the vendor''s streak');
select lives_ok(
  $$select public.invoice_transition('aaaaaaaa-5000-4000-8000-0000000000b1', 'status.approved',
      null, '{}', '{}')$$,
  'the operator approves that invoice');
select results_eq($$select * from pg_temp.streak()$$, $$values (6, null::text)$$,
                  'an approval after a PO match decision counts as clean');
select lives_ok(
  $$select public.invoice_transition('aaaaaaaa-5000-4000-8000-0000000000b3', 'status.rejected',
      null, '{}', '{}')$$,
  'the operator rejects an invoice the product flagged as a possible duplicate');
select results_eq($$select * from pg_temp.streak()$$, $$values (6, null::text)$$,
                  'rejecting a flagged duplicate does not reset the streak');
select lives_ok(
  $$select public.invoice_correct('aaaaaaaa-5000-4000-8000-0000000000b2', 'match.rejected',
      null, '{"match": {"id": "aaaaaaaa-5000-4000-8000-0000000000d2"}}', '{}')$$,
  'the operator rejects a vendor match');
select results_eq($$select * from pg_temp.streak()$$, $$values (0, 'match.rejected')$$,
                  'a vendor match rejection resets the streak, recorded as the last reset');
reset role;
update public.vendor_trust set clean_streak = 4
 where vendor_id = 'aaaaaaaa-5000-4000-8000-00000000000e';
select pg_temp.act_as('a5000000-0000-4000-8000-000000000002');
select public.invoice_transition('aaaaaaaa-5000-4000-8000-0000000000b4', 'status.rejected',
       null, '{}', '{}');
select results_eq($$select * from pg_temp.streak()$$, $$values (0, 'status.rejected')$$,
                  'rejecting an invoice nobody flagged as a duplicate resets the streak');

select ok(exists (select 1 from public.auto_approval_reasons(
            'aaaaaaaa-5000-4000-8000-0000000000c1') where code = 'ladder.po_match'),
          'a vendor with purchase orders needs a PO match (a missing PO is an exception)');
select ok(not exists (select 1 from public.auto_approval_reasons(
            'aaaaaaaa-5000-4000-8000-0000000000c2') where code = 'ladder.po_match'),
          'a vendor with no purchase order and an invoice printing none need no PO match');
select ok(exists (select 1 from public.auto_approval_reasons(
            'aaaaaaaa-5000-4000-8000-0000000000c3') where code = 'ladder.po_match'),
          'an invoice printing a PO number needs its PO match, whatever the vendor');
reset role;

select * from finish();
rollback;
