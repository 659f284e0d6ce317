-- Signed webhooks (issue 17, item 2): events come from the audit log in the same transaction as
-- the change (an outbox: delivery rows + queued jobs); owners manage endpoints through doors and
-- read the delivery log; the signing secret's ciphertext is readable by no user.
begin;
select plan(17);

insert into auth.users (id, email, aud, role, email_confirmed_at) values
  ('a3000000-0000-4000-8000-000000000001', 'owner@hooks.test', 'authenticated', 'authenticated', now()),
  ('a3000000-0000-4000-8000-000000000002', 'operator@hooks.test', 'authenticated', 'authenticated', now()),
  ('b3000000-0000-4000-8000-000000000001', 'owner-b@hooks.test', 'authenticated', 'authenticated', now());
insert into public.clients (id, name, created_by) values
  ('aaaaaaaa-3000-4000-8000-000000000000', 'Client A', 'a3000000-0000-4000-8000-000000000001'),
  ('bbbbbbbb-3000-4000-8000-000000000000', 'Client B', 'b3000000-0000-4000-8000-000000000001');
insert into public.client_members (client_id, user_id, role) values
  ('aaaaaaaa-3000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000002', 'operator');
insert into public.vendors (id, client_id, name) values
  ('33333333-3000-4000-8000-000000000001', 'aaaaaaaa-3000-4000-8000-000000000000', 'Hook Supplies');
-- Approvable under the default approval policy (a chosen vendor, a currency).
insert into public.invoices (id, client_id, status, total, currency, vendor_id, vendor_name) values
  ('11111111-3000-4000-8000-000000000001', 'aaaaaaaa-3000-4000-8000-000000000000', 'needs_review', 10,
   'EUR', '33333333-3000-4000-8000-000000000001', 'Hook Supplies'),
  ('11111111-3000-4000-8000-000000000002', 'aaaaaaaa-3000-4000-8000-000000000000', 'needs_review', 20,
   'EUR', '33333333-3000-4000-8000-000000000001', 'Hook Supplies'),
  ('11111111-3000-4000-8000-000000000003', 'aaaaaaaa-3000-4000-8000-000000000000', 'auto_approved', 30,
   'EUR', '33333333-3000-4000-8000-000000000001', 'Hook Supplies');

create function pg_temp.act_as(p_user uuid) returns void language sql as $$
  select set_config('role', 'authenticated', true),
         set_config('request.jwt.claims',
                    json_build_object('sub', p_user, 'role', 'authenticated')::text, true);
$$;

select pg_temp.act_as('a3000000-0000-4000-8000-000000000001');
create temp table hook on commit drop as
  select * from public.create_webhook_endpoint('aaaaaaaa-3000-4000-8000-000000000000',
    'https://erp.example/hooks', 'ERP', array['invoice.approved', 'invoice.approved', 'batch.completed'],
    'ciphertext-of-the-secret');
select is((select event_types from hook), array['batch.completed', 'invoice.approved'],
  'event types are stored once each, sorted');
select throws_ok('select secret_ciphertext from public.webhook_endpoints', '42501', null,
  'the owner cannot read the secret''s ciphertext');
select is((select count(*)::int from public.webhook_endpoints), 1, 'the owner lists the endpoint');
select throws_ok(
  $$select public.create_webhook_endpoint('aaaaaaaa-3000-4000-8000-000000000000',
    'https://erp.example/x', '', array['invoice.paid'], 'ciphertext-xxxxx')$$,
  '23514', null, 'an unknown event type is refused');

-- Approving writes the audit event, and with it the delivery and its job, in one transaction.
select lives_ok($$select public.invoice_transition('11111111-3000-4000-8000-000000000001',
                  'status.approved', null, '{}', '{}')$$, 'the owner approves');
select is((select count(*)::int from public.webhook_deliveries where event_type = 'invoice.approved'
            and payload -> 'data' ->> 'invoice_id' = '11111111-3000-4000-8000-000000000001'),
  1, 'the approval has its delivery');
savepoint before_reject;
select lives_ok($$select public.invoice_transition('11111111-3000-4000-8000-000000000002',
                  'status.rejected', null, '{"failure_reason": "no"}', '{}')$$, 'a rejection ...');
rollback to savepoint before_reject;
select is((select count(*)::int from public.webhook_deliveries where event_type = 'invoice.rejected'),
  0, '... not subscribed (and rolled back) has no delivery');
reset role;
select is((select count(*)::int from public.procrastinate_jobs j join public.webhook_deliveries d
            on j.queueing_lock = 'webhook:' || d.id::text where j.queue_name = 'webhooks'),
  1, 'the delivery''s job was queued in the same transaction');

-- A person's correction sends an auto-approved invoice back to review: invoice.needs_review; the
-- same correction of an invoice already in review announces nothing.
select pg_temp.act_as('a3000000-0000-4000-8000-000000000001');
select public.update_webhook_endpoint((select id from hook), null, null,
                                      array['invoice.approved', 'invoice.needs_review'], null, null);
select lives_ok($$select public.invoice_correct('11111111-3000-4000-8000-000000000003',
                  'invoice.corrected', null, '{"total": 31}', '{}')$$,
  'the owner corrects an auto-approved invoice');
select is((select payload -> 'data' ->> 'action' from public.webhook_deliveries
            where event_type = 'invoice.needs_review'
              and payload -> 'data' ->> 'invoice_id' = '11111111-3000-4000-8000-000000000003'),
  'invoice.corrected', 'its move back to review is invoice.needs_review');
select lives_ok($$select public.invoice_correct('11111111-3000-4000-8000-000000000003',
                  'invoice.corrected', null, '{"total": 32}', '{}')$$, 'corrected again in review');
select is((select count(*)::int from public.webhook_deliveries
            where event_type = 'invoice.needs_review'),
  1, 'a correction in review is no event');
select public.update_webhook_endpoint((select id from hook), null, null,
                                      array['batch.completed', 'invoice.approved'], null, null);
reset role;

-- Others.
select pg_temp.act_as('a3000000-0000-4000-8000-000000000002');
select is_empty('select id from public.webhook_deliveries', 'an operator sees no delivery log');
select throws_ok(format('select public.delete_webhook_endpoint(%L)', (select id from hook)),
  '42501', null, 'an operator cannot delete an endpoint');
reset role;
select pg_temp.act_as('b3000000-0000-4000-8000-000000000001');
select throws_ok(format('select public.redeliver_webhook(%L)',
                        (select id from public.webhook_deliveries limit 1)),
  'P0002', null, 'another client''s owner cannot redeliver');
reset role;

-- Disabled endpoints get no deliveries.
select pg_temp.act_as('a3000000-0000-4000-8000-000000000001');
select public.update_webhook_endpoint((select id from hook), null, null, null, false, null);
select public.invoice_transition('11111111-3000-4000-8000-000000000002', 'status.approved', null,
                                 '{}', '{}');
select is((select count(*)::int from public.webhook_deliveries where event_type = 'invoice.approved'),
  1, 'a disabled endpoint gets nothing');
reset role;

select * from finish();
rollback;
