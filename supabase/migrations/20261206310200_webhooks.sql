-- Signed webhooks (issue 17, item 2): per-client endpoints, an outbox filled from the audit log
-- in the same transaction as the change, deliveries through the job queue.
--
--   * public.webhook_endpoints: a client's target URLs, the events each subscribes to, the
--     signing secret (whsec_..., encrypted by the application with a key from its settings; the
--     ciphertext column is not granted to users), enabled or not. Owners read and manage them
--     through doors (create/update/delete_webhook_endpoint), each audited;
--   * public.webhook_event_map: which audit action is which webhook event (data, not code):
--     status.needs_review -> invoice.processed + invoice.needs_review, status.auto_approved and
--     status.failed -> invoice.processed, status.approved / approval.overridden ->
--     invoice.approved, status.rejected -> invoice.rejected, status.exported (also what
--     POST /exports/mark-exported audits) -> invoice.exported, status.reopened ->
--     invoice.needs_review; a person's correction of an auto-approved invoice (invoice.corrected,
--     invoice.lines_corrected, match.confirmed/overridden/rejected, match.rematched: the door
--     moves it back to needs_review) -> invoice.needs_review, only when the audited status
--     before was auto_approved (from_statuses); batch.completed (a new audit action, written by
--     a trigger when a batch becomes done) -> batch.completed. Audit actions that announce no
--     invoice status (vendor.created, which comes with its invoice's match.overridden or
--     invoice.corrected; trust_ladder.auto_approved, which follows status.auto_approved;
--     approval_policy.*, vendor.hint_*, vendor.ladder_*, alias changes) are no event.
--     Another slice's new audit action becomes an event by one row here;
--   * trigger webhook_fanout on audit_events: for each mapped event and each enabled endpoint
--     of the client that subscribes to it, one row in public.webhook_deliveries and one job
--     (procrastinate_defer_jobs_v1, queue 'webhooks') in the SAME transaction as the audited
--     change: a committed change always has its deliveries, a rolled-back one has none, and the
--     workflow never waits for a receiver;
--   * public.webhook_deliveries (the delivery log: status, attempts, next attempt, last answer)
--     and public.webhook_attempts (every attempt): owners read them; the worker writes them as
--     the named system task 'webhooks.deliver'; public.redeliver_webhook (owners) queues a
--     delivery again with the same webhook-id.

create table public.webhook_endpoints (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id) on delete cascade,
  url text not null check (char_length(url) between 10 and 2000 and url ~ '^https?://[^\s]+$'),
  description text not null default '' check (char_length(description) <= 200),
  event_types text[] not null check (
    cardinality(event_types) between 1 and 6
    and event_types <@ array['invoice.processed', 'invoice.needs_review', 'invoice.approved',
                             'invoice.rejected', 'invoice.exported', 'batch.completed']
  ),
  secret_ciphertext text not null check (char_length(secret_ciphertext) between 10 and 1000),
  enabled boolean not null default true,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (client_id, id)
);
create index webhook_endpoints_client_idx on public.webhook_endpoints (client_id) where enabled;
create trigger webhook_endpoints_updated_at before update on public.webhook_endpoints
  for each row execute function public.set_updated_at();

create table public.webhook_event_map (
  action text not null,
  event_type text not null,
  status text,  -- the invoice status the event announces (null: not an invoice event)
  from_statuses text[],  -- only when the audited status before was one of these (null: any)
  primary key (action, event_type)
);
insert into public.webhook_event_map (action, event_type, status, from_statuses) values
  ('status.needs_review', 'invoice.processed', 'needs_review', null),
  ('status.needs_review', 'invoice.needs_review', 'needs_review', null),
  ('status.auto_approved', 'invoice.processed', 'auto_approved', null),
  ('status.failed', 'invoice.processed', 'failed', null),
  ('status.reopened', 'invoice.needs_review', 'needs_review', null),
  ('invoice.corrected', 'invoice.needs_review', 'needs_review', '{auto_approved}'),
  ('invoice.lines_corrected', 'invoice.needs_review', 'needs_review', '{auto_approved}'),
  ('match.confirmed', 'invoice.needs_review', 'needs_review', '{auto_approved}'),
  ('match.overridden', 'invoice.needs_review', 'needs_review', '{auto_approved}'),
  ('match.rejected', 'invoice.needs_review', 'needs_review', '{auto_approved}'),
  ('match.rematched', 'invoice.needs_review', 'needs_review', '{auto_approved}'),
  ('status.approved', 'invoice.approved', 'approved', null),
  ('approval.overridden', 'invoice.approved', 'approved', null),
  ('status.rejected', 'invoice.rejected', 'rejected', null),
  ('status.exported', 'invoice.exported', 'exported', null),
  ('batch.completed', 'batch.completed', null, null);

create table public.webhook_deliveries (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id) on delete cascade,
  endpoint_id uuid not null,
  event_id uuid not null,  -- the webhook-id (msg_<hex>): the same on every retry and redelivery
  event_type text not null,
  payload jsonb not null,
  audit_event_id bigint,
  status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
  attempts integer not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz default now(),
  last_attempt_at timestamptz,
  last_status_code integer,
  last_error text check (char_length(last_error) <= 500),
  succeeded_at timestamptz,
  manual_redeliveries integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (endpoint_id, event_id),
  unique (client_id, id),
  foreign key (client_id, endpoint_id) references public.webhook_endpoints (client_id, id)
    on delete cascade
);
create index webhook_deliveries_client_idx on public.webhook_deliveries (client_id, created_at desc);
create index webhook_deliveries_endpoint_idx
  on public.webhook_deliveries (endpoint_id, created_at desc);
create index webhook_deliveries_due_idx on public.webhook_deliveries (next_attempt_at)
  where status = 'pending';
create trigger webhook_deliveries_updated_at before update on public.webhook_deliveries
  for each row execute function public.set_updated_at();

create table public.webhook_attempts (
  id bigint generated always as identity primary key,
  client_id uuid not null references public.clients (id) on delete cascade,
  delivery_id uuid not null,
  attempt integer not null check (attempt > 0),
  started_at timestamptz not null,
  duration_ms integer not null check (duration_ms >= 0),
  status_code integer,
  error text check (char_length(error) <= 500),
  foreign key (client_id, delivery_id) references public.webhook_deliveries (client_id, id)
    on delete cascade
);
create index webhook_attempts_delivery_idx on public.webhook_attempts (delivery_id, id);

-- Queue one delivery (queue 'webhooks'); a job already waiting for it is enough.
create or replace function public.defer_webhook_delivery(p_delivery_id uuid) returns void
language plpgsql
volatile
security definer
-- procrastinate's insert triggers name their tables unqualified (as in enqueue_invoice_processing)
set search_path = public, pg_temp
as $$
declare
  v_lock text := 'webhook:' || p_delivery_id::text;
begin
  perform public.procrastinate_defer_jobs_v1(array[
    row('webhooks', 'invoiceflow.deliver_webhook', 0, v_lock, v_lock,
        jsonb_build_object('delivery_id', p_delivery_id::text), null
    )::public.procrastinate_job_to_defer_v1
  ]);
exception when unique_violation then
  null;  -- already waiting
end;
$$;

-- The outbox: each mapped audit event becomes deliveries + jobs in the same transaction.
create or replace function public.webhook_fanout() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_map record;
  v_endpoint uuid;
  v_endpoints uuid[];
  v_invoices uuid[];
  v_invoice uuid;
  v_event uuid;
  v_delivery uuid;
  v_payload jsonb;
begin
  for v_map in
    select m.event_type, m.status from public.webhook_event_map m
     where m.action = new.action
       and (m.from_statuses is null or (new.before ->> 'status') = any (m.from_statuses))
  loop
    select array_agg(e.id order by e.created_at) into v_endpoints
      from public.webhook_endpoints e
     where e.client_id = new.client_id and e.enabled and v_map.event_type = any (e.event_types);
    continue when v_endpoints is null;
    if new.invoice_id is not null then
      v_invoices := array[new.invoice_id];
    elsif jsonb_typeof(new.meta -> 'invoice_ids') = 'array' then
      -- a bulk action (one audit row for many invoices): one event per invoice
      select coalesce(array_agg(x.v::uuid), '{}') into v_invoices
        from jsonb_array_elements_text(new.meta -> 'invoice_ids') x(v)
       where x.v ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
    else
      v_invoices := array[null::uuid];
    end if;
    foreach v_invoice in array v_invoices loop
      v_event := gen_random_uuid();
      v_payload := jsonb_build_object(
        'type', v_map.event_type,
        'timestamp', to_char(new.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'data', jsonb_strip_nulls(jsonb_build_object(
          'client_id', new.client_id,
          'invoice_id', v_invoice,
          'status', v_map.status,
          'action', new.action,
          'version', case when new.invoice_id is not null then new.meta -> 'version' end,
          'actor_id', new.actor_id,
          'audit_event_id', new.id
        )) || case when v_map.event_type = 'batch.completed' then coalesce(new.after, '{}')
                   else '{}'::jsonb end
      );
      foreach v_endpoint in array v_endpoints loop
        insert into public.webhook_deliveries (client_id, endpoint_id, event_id, event_type,
                                               payload, audit_event_id)
        values (new.client_id, v_endpoint, v_event, v_map.event_type, v_payload, new.id)
        returning id into v_delivery;
        perform public.defer_webhook_delivery(v_delivery);
      end loop;
    end loop;
  end loop;
  return null;
end
$$;
create trigger audit_events_webhook_fanout after insert on public.audit_events
  for each row execute function public.webhook_fanout();

-- A batch whose invoices are all processed: one audit event (and so the batch.completed event).
create or replace function public.audit_batch_completed() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_counts jsonb;
begin
  if new.status <> 'done' or (tg_op = 'UPDATE' and old.status = 'done') then
    return null;
  end if;
  select coalesce(jsonb_object_agg(c.status, c.n), '{}'::jsonb) into v_counts
    from (select i.status, count(*) as n from public.invoices i
           where i.batch_id = new.id group by i.status) c;
  insert into public.audit_events (client_id, actor_id, action, after, meta)
  values (new.client_id, (select auth.uid()), 'batch.completed',
          jsonb_build_object('batch_id', new.id, 'name', new.name, 'file_count', new.file_count,
                             'invoices', v_counts),
          jsonb_build_object('batch_id', new.id));
  return null;
end
$$;
create trigger batches_completed after insert or update of status on public.batches
  for each row execute function public.audit_batch_completed();

alter table public.webhook_endpoints enable row level security;
alter table public.webhook_endpoints force row level security;
alter table public.webhook_deliveries enable row level security;
alter table public.webhook_deliveries force row level security;
alter table public.webhook_attempts enable row level security;
alter table public.webhook_attempts force row level security;
alter table public.webhook_event_map enable row level security;
alter table public.webhook_event_map force row level security;
revoke all on table public.webhook_endpoints, public.webhook_deliveries, public.webhook_attempts,
  public.webhook_event_map from public, anon, authenticated, service_role;
grant select (id, client_id, url, description, event_types, enabled, created_by, created_at,
              updated_at) on table public.webhook_endpoints to authenticated;
grant select on table public.webhook_deliveries, public.webhook_attempts to authenticated;
-- The delivery worker (service session 'webhooks.deliver').
grant select on table public.webhook_endpoints, public.webhook_event_map to service_role;
grant select, update on table public.webhook_deliveries to service_role;
grant select, insert on table public.webhook_attempts to service_role;

create policy webhook_endpoints_select on public.webhook_endpoints for select to authenticated
  using (client_id in (select public.member_client_ids('{owner}')));
create policy webhook_deliveries_select on public.webhook_deliveries for select to authenticated
  using (client_id in (select public.member_client_ids('{owner}')));
create policy webhook_attempts_select on public.webhook_attempts for select to authenticated
  using (client_id in (select public.member_client_ids('{owner}')));

-- Doors: owners manage their client's endpoints; each change is audited (never the secret).
create or replace function public.require_client_owner(p_client_id uuid, p_what text)
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if p_client_id is null or p_client_id not in (select public.member_client_ids()) then
    raise exception '% not found', p_what using errcode = 'P0002';
  end if;
  if p_client_id not in (select public.member_client_ids('{owner}')) then
    raise exception 'only owners manage %', p_what using errcode = '42501';
  end if;
end;
$$;

create or replace function public.create_webhook_endpoint(
  p_client_id uuid,
  p_url text,
  p_description text,
  p_event_types text[],
  p_secret_ciphertext text
) returns public.webhook_endpoints
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_endpoint public.webhook_endpoints;
begin
  perform public.require_client_owner(p_client_id, 'client');
  insert into public.webhook_endpoints (client_id, url, description, event_types,
                                        secret_ciphertext, created_by)
  values (p_client_id, p_url, coalesce(p_description, ''),
          (select array_agg(distinct t order by t) from unnest(p_event_types) t),
          p_secret_ciphertext, (select auth.uid()))
  returning * into v_endpoint;
  insert into public.audit_events (client_id, actor_id, action, after, meta)
  values (p_client_id, (select auth.uid()), 'webhook.created',
          jsonb_build_object('url', v_endpoint.url, 'event_types', v_endpoint.event_types),
          jsonb_build_object('endpoint_id', v_endpoint.id));
  return v_endpoint;
end;
$$;

create or replace function public.update_webhook_endpoint(
  p_endpoint_id uuid,
  p_url text default null,
  p_description text default null,
  p_event_types text[] default null,
  p_enabled boolean default null,
  p_secret_ciphertext text default null
) returns public.webhook_endpoints
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_old public.webhook_endpoints;
  v_new public.webhook_endpoints;
begin
  select * into v_old from public.webhook_endpoints e where e.id = p_endpoint_id for update;
  perform public.require_client_owner(v_old.client_id, 'webhook endpoint');
  update public.webhook_endpoints e
     set url = coalesce(p_url, e.url),
         description = coalesce(p_description, e.description),
         event_types = coalesce(
           (select array_agg(distinct t order by t) from unnest(p_event_types) t), e.event_types),
         enabled = coalesce(p_enabled, e.enabled),
         secret_ciphertext = coalesce(p_secret_ciphertext, e.secret_ciphertext)
   where e.id = p_endpoint_id
  returning * into v_new;
  insert into public.audit_events (client_id, actor_id, action, before, after, meta)
  values (v_new.client_id, (select auth.uid()), 'webhook.updated',
          jsonb_build_object('url', v_old.url, 'event_types', v_old.event_types,
                             'enabled', v_old.enabled),
          jsonb_build_object('url', v_new.url, 'event_types', v_new.event_types,
                             'enabled', v_new.enabled),
          jsonb_build_object('endpoint_id', v_new.id,
                             'secret_rotated', p_secret_ciphertext is not null));
  return v_new;
end;
$$;

create or replace function public.delete_webhook_endpoint(p_endpoint_id uuid) returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_old public.webhook_endpoints;
begin
  select * into v_old from public.webhook_endpoints e where e.id = p_endpoint_id for update;
  perform public.require_client_owner(v_old.client_id, 'webhook endpoint');
  delete from public.webhook_endpoints e where e.id = p_endpoint_id;
  insert into public.audit_events (client_id, actor_id, action, before, meta)
  values (v_old.client_id, (select auth.uid()), 'webhook.deleted',
          jsonb_build_object('url', v_old.url, 'event_types', v_old.event_types),
          jsonb_build_object('endpoint_id', v_old.id));
end;
$$;

-- Manual redelivery (owners): the same delivery (same webhook-id) is queued again now.
create or replace function public.redeliver_webhook(p_delivery_id uuid)
returns public.webhook_deliveries
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_delivery public.webhook_deliveries;
begin
  select * into v_delivery from public.webhook_deliveries d where d.id = p_delivery_id for update;
  perform public.require_client_owner(v_delivery.client_id, 'webhook delivery');
  update public.webhook_deliveries d
     set status = 'pending', next_attempt_at = now(),
         manual_redeliveries = d.manual_redeliveries + 1
   where d.id = p_delivery_id
  returning * into v_delivery;
  perform public.defer_webhook_delivery(v_delivery.id);
  insert into public.audit_events (client_id, actor_id, action, meta)
  values (v_delivery.client_id, (select auth.uid()), 'webhook.redelivered',
          jsonb_build_object('delivery_id', v_delivery.id, 'endpoint_id', v_delivery.endpoint_id,
                             'event_type', v_delivery.event_type));
  return v_delivery;
end;
$$;

revoke all on function public.defer_webhook_delivery(uuid) from public, anon, authenticated;
revoke all on function public.webhook_fanout() from public, anon, authenticated;
revoke all on function public.audit_batch_completed() from public, anon, authenticated;
revoke all on function public.require_client_owner(uuid, text) from public, anon, authenticated;
grant execute on function public.defer_webhook_delivery(uuid) to service_role;
revoke all on function public.create_webhook_endpoint(uuid, text, text, text[], text)
  from public, anon;
grant execute on function public.create_webhook_endpoint(uuid, text, text, text[], text)
  to authenticated;
revoke all on function public.update_webhook_endpoint(uuid, text, text, text[], boolean, text)
  from public, anon;
grant execute on function public.update_webhook_endpoint(uuid, text, text, text[], boolean, text)
  to authenticated;
revoke all on function public.delete_webhook_endpoint(uuid) from public, anon;
grant execute on function public.delete_webhook_endpoint(uuid) to authenticated;
revoke all on function public.redeliver_webhook(uuid) from public, anon;
grant execute on function public.redeliver_webhook(uuid) to authenticated;
