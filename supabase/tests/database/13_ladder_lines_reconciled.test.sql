-- The trust ladder's line condition (migration 20261207101000): straight-through approval needs
-- the line items read to account for the net (at least one line with an amount, every line with
-- one, their sum equal to the line total, else the net amount, within 0.01); otherwise
-- public.auto_approval_reasons names ladder.lines_unreconciled. A person can still approve.
begin;
select plan(16);

insert into auth.users (id, email, aud, role) values
  ('a6000000-0000-4000-8000-000000000001', 'owner@lines.test', 'authenticated', 'authenticated'),
  ('a6000000-0000-4000-8000-000000000002', 'operator@lines.test', 'authenticated', 'authenticated'),
  ('b6000000-0000-4000-8000-000000000001', 'owner@other-lines.test', 'authenticated', 'authenticated');
insert into public.clients (id, name, created_by) values
  ('aaaaaaaa-6000-4000-8000-000000000000', 'Lines A', 'a6000000-0000-4000-8000-000000000001'),
  ('bbbbbbbb-6000-4000-8000-000000000000', 'Lines B', 'b6000000-0000-4000-8000-000000000001');
insert into public.client_members (client_id, user_id, role) values
  ('aaaaaaaa-6000-4000-8000-000000000000', 'a6000000-0000-4000-8000-000000000002', 'operator');
insert into public.vendors (id, client_id, name) values
  ('aaaaaaaa-6000-4000-8000-00000000000e', 'aaaaaaaa-6000-4000-8000-000000000000', 'Acme');
-- d1: no line read; d2: a line without an amount; d3: lines = line total; d4: lines = net, no
-- line total; d5: lines short of the net; d6: no line total nor net; d7: within 0.01; d8: the
-- faulty row not read, the line total computed from the rows read ("sum of lines"), the net short
insert into public.invoices (id, client_id, status, vendor_id, total, currency, line_total,
                             subtotal) values
  ('aaaaaaaa-6000-4000-8000-0000000000d1', 'aaaaaaaa-6000-4000-8000-000000000000',
   'needs_review', 'aaaaaaaa-6000-4000-8000-00000000000e', 11.9, 'EUR', 10, 10),
  ('aaaaaaaa-6000-4000-8000-0000000000d2', 'aaaaaaaa-6000-4000-8000-000000000000',
   'needs_review', 'aaaaaaaa-6000-4000-8000-00000000000e', 11.9, 'EUR', 10, 10),
  ('aaaaaaaa-6000-4000-8000-0000000000d3', 'aaaaaaaa-6000-4000-8000-000000000000',
   'needs_review', 'aaaaaaaa-6000-4000-8000-00000000000e', 11.9, 'EUR', 10, 10),
  ('aaaaaaaa-6000-4000-8000-0000000000d4', 'aaaaaaaa-6000-4000-8000-000000000000',
   'needs_review', 'aaaaaaaa-6000-4000-8000-00000000000e', 11.9, 'EUR', null, 10),
  ('aaaaaaaa-6000-4000-8000-0000000000d5', 'aaaaaaaa-6000-4000-8000-000000000000',
   'needs_review', 'aaaaaaaa-6000-4000-8000-00000000000e', 11.9, 'EUR', null, 10),
  ('aaaaaaaa-6000-4000-8000-0000000000d6', 'aaaaaaaa-6000-4000-8000-000000000000',
   'needs_review', 'aaaaaaaa-6000-4000-8000-00000000000e', 11.9, 'EUR', null, null),
  ('aaaaaaaa-6000-4000-8000-0000000000d7', 'aaaaaaaa-6000-4000-8000-000000000000',
   'needs_review', 'aaaaaaaa-6000-4000-8000-00000000000e', 11.9, 'EUR', 10, null);
insert into public.invoices (id, client_id, status, vendor_id, total, currency, line_total,
                             subtotal, extraction) values
  ('aaaaaaaa-6000-4000-8000-0000000000d8', 'aaaaaaaa-6000-4000-8000-000000000000',
   'needs_review', 'aaaaaaaa-6000-4000-8000-00000000000e', 11.9, 'EUR', 6, 10,
   '{"line_total": {"value": "6.00", "confidence": 0.5, "evidence": {"text": "sum of lines"}}}');
insert into public.invoice_lines (client_id, invoice_id, line_no, quantity, unit_price, amount)
values
  ('aaaaaaaa-6000-4000-8000-000000000000', 'aaaaaaaa-6000-4000-8000-0000000000d2', 1, 1, 6, 6),
  ('aaaaaaaa-6000-4000-8000-000000000000', 'aaaaaaaa-6000-4000-8000-0000000000d2', 2, 2, 2, null),
  ('aaaaaaaa-6000-4000-8000-000000000000', 'aaaaaaaa-6000-4000-8000-0000000000d3', 1, 1, 6, 6),
  ('aaaaaaaa-6000-4000-8000-000000000000', 'aaaaaaaa-6000-4000-8000-0000000000d3', 2, 2, 2, 4),
  ('aaaaaaaa-6000-4000-8000-000000000000', 'aaaaaaaa-6000-4000-8000-0000000000d4', 1, 1, 6, 6),
  ('aaaaaaaa-6000-4000-8000-000000000000', 'aaaaaaaa-6000-4000-8000-0000000000d4', 2, 2, 2, 4),
  ('aaaaaaaa-6000-4000-8000-000000000000', 'aaaaaaaa-6000-4000-8000-0000000000d5', 1, 1, 6, 6),
  ('aaaaaaaa-6000-4000-8000-000000000000', 'aaaaaaaa-6000-4000-8000-0000000000d5', 2, 2, 1.5, 3),
  ('aaaaaaaa-6000-4000-8000-000000000000', 'aaaaaaaa-6000-4000-8000-0000000000d6', 1, 1, 10, 10),
  ('aaaaaaaa-6000-4000-8000-000000000000', 'aaaaaaaa-6000-4000-8000-0000000000d7', 1, 1, 10.005,
   10.005),
  ('aaaaaaaa-6000-4000-8000-000000000000', 'aaaaaaaa-6000-4000-8000-0000000000d8', 1, 1, 6, 6);

create function pg_temp.act_as(p_user uuid) returns void language sql as $$
  select set_config('role', 'authenticated', true),
         set_config('request.jwt.claims',
                    json_build_object('sub', p_user, 'role', 'authenticated')::text, true);
$$;
create function pg_temp.lines_reason(p_invoice uuid) returns jsonb language sql as $$
  select r.detail from public.auto_approval_reasons(p_invoice) r
   where r.code = 'ladder.lines_unreconciled'
$$;

select pg_temp.act_as('a6000000-0000-4000-8000-000000000002');
select is(pg_temp.lines_reason('aaaaaaaa-6000-4000-8000-0000000000d1') ->> 'lines', '0',
          'no line read: the lines do not account for the net');
select is(pg_temp.lines_reason('aaaaaaaa-6000-4000-8000-0000000000d2') ->> 'lines_with_amount',
          '1', 'a line read without an amount: the lines do not account for the net');
select ok(not exists (select 1 from public.invoice_checks('aaaaaaaa-6000-4000-8000-0000000000d2')
                       where code = 'line_sum_mismatch'),
          'no check compares such lines with the net (the gap this condition closes)');
select ok(pg_temp.lines_reason('aaaaaaaa-6000-4000-8000-0000000000d3') is null,
          'lines adding up to the line total account for the net');
select ok(pg_temp.lines_reason('aaaaaaaa-6000-4000-8000-0000000000d4') is null,
          'with no line total, lines adding up to the net amount account for it');
select is(pg_temp.lines_reason('aaaaaaaa-6000-4000-8000-0000000000d5'),
          '{"lines": 2, "lines_with_amount": 2, "lines_sum": 9.0000, "document": 10.0000,
            "against": "subtotal", "currency": "EUR"}'::jsonb,
          'lines short of the net: the reason gives the sum, the net and what it was compared with');
select is(pg_temp.lines_reason('aaaaaaaa-6000-4000-8000-0000000000d6') ->> 'document', null,
          'neither a line total nor a net read: nothing to reconcile the lines with');
select ok(pg_temp.lines_reason('aaaaaaaa-6000-4000-8000-0000000000d7') is null,
          'a sum within 0.01 of the line total accounts for it');
select ok(not exists (select 1 from public.invoice_checks('aaaaaaaa-6000-4000-8000-0000000000d8')
                       where code = 'line_sum_mismatch'),
          'a line total computed from the rows read agrees with them: no check sees the gap');
select is(pg_temp.lines_reason('aaaaaaaa-6000-4000-8000-0000000000d8') ->> 'against', 'subtotal',
          'a line total computed from the lines is not printed: the lines must add up to the net');
select is((select r.message from public.auto_approval_reasons(
             'aaaaaaaa-6000-4000-8000-0000000000d5') r
            where r.code = 'ladder.lines_unreconciled'),
          'The lines read add up to 9.00 EUR, but the net amount says 10.00 EUR.',
          'the message names both amounts with the currency');
select is((select r.message from public.auto_approval_reasons(
             'aaaaaaaa-6000-4000-8000-0000000000d1') r
            where r.code = 'ladder.lines_unreconciled'),
          'No line item with an amount was read.', 'the message says no line was read');
select ok(not exists (select 1 from public.approval_reasons(
            'aaaaaaaa-6000-4000-8000-0000000000d1') a where a.code like '%lines_unreconciled%'),
          'it is a ladder condition, not a reason against a person''s approval');
select lives_ok(
  $$select public.invoice_transition('aaaaaaaa-6000-4000-8000-0000000000d1', 'status.approved',
      null, '{}', '{}')$$,
  'a person can still approve an invoice whose lines were not read');
reset role;

select pg_temp.act_as('b6000000-0000-4000-8000-000000000001');
select throws_ok(
  $$select * from public.auto_approval_reasons('aaaaaaaa-6000-4000-8000-0000000000d5')$$,
  'P0002', null, 'an outsider reads nothing of another client''s invoice (not found)');
reset role;
select throws_ok(
  $$set local role anon; select * from public.auto_approval_reasons(
      'aaaaaaaa-6000-4000-8000-0000000000d5')$$,
  '42501', null, 'anon may not call auto_approval_reasons');

select * from finish();
rollback;
