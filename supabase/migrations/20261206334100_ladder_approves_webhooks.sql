-- Webhooks (20261206310200_webhooks.sql) for the trust ladder's approval
-- (20261206334000_ladder_approves.sql: status.auto_approved now moves matched -> approved): the
-- worker's end is still invoice.processed, now announcing `approved`, and the ladder's approval is
-- an approval (invoice.approved), so an ERP that pulls approved invoices gets the straight-through
-- ones too. tests/integration/db/test_webhook_event_map.py checks every announced move is mapped.
update public.webhook_event_map
   set status = 'approved'
 where action = 'status.auto_approved' and event_type = 'invoice.processed';
insert into public.webhook_event_map (action, event_type, status, from_statuses)
values ('status.auto_approved', 'invoice.approved', 'approved', null);
