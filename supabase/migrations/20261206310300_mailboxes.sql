-- IMAP mailboxes per client (issue 17, item 4): invoices that arrive at invoices@...
--
--   * public.mailboxes: where to poll (host, port, security, user, folders), the password
--     encrypted by the application with a key from its settings (the ciphertext column is never
--     granted to users and never returned by the API), enabled or not, and the last poll's
--     outcome (time, error, counts) for the console and the API. Each mailbox has its own
--     service principal (kind 'mailbox', role operator): the worker's poll uploads what the mail
--     brings as that principal, under RLS, exactly as the API would for a person;
--   * public.mailbox_seen: the adapter's SeenStore (messages filed, documents handed over,
--     failed attempts), written only by the mailbox's own principal (policy), so a poll cut off
--     by a killed worker or a dropped connection resumes without taking anything twice;
--   * public.mailbox_messages: what happened to each message (processed, failed and why,
--     already done), written by the principal; owners and operators read it;
--   * doors (owners): create_mailbox, update_mailbox, delete_mailbox, each audited (never the
--     password); the poll's bookkeeping (last poll, error) is the named system task 'mail.poll'.

create table public.mailboxes (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id) on delete cascade,
  principal_id uuid not null unique references auth.users (id) on delete cascade,
  name text not null check (char_length(btrim(name)) between 1 and 100),
  host text not null check (host ~ '^[A-Za-z0-9.:-]{1,253}$'),
  port integer not null check (port between 1 and 65535),
  security text not null check (security in ('ssl', 'starttls', 'none')),
  username text not null check (char_length(username) between 1 and 320),
  password_ciphertext text not null check (char_length(password_ciphertext) between 10 and 4000),
  folder text not null default 'INBOX' check (folder ~ '^[A-Za-z0-9 ._/-]{1,200}$'),
  processed_folder text not null default 'InvoiceFlow-Processed'
    check (processed_folder ~ '^[A-Za-z0-9 ._/-]{1,200}$'),
  failed_folder text not null default 'InvoiceFlow-Failed'
    check (failed_folder ~ '^[A-Za-z0-9 ._/-]{1,200}$'),
  enabled boolean not null default true,
  poll_interval_seconds integer not null default 60 check (poll_interval_seconds between 10 and 86400),
  last_poll_at timestamptz,
  last_success_at timestamptz,
  last_error text check (char_length(last_error) <= 500),
  last_counts jsonb not null default '{}'::jsonb,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (client_id, id),
  check (folder <> processed_folder and folder <> failed_folder
         and processed_folder <> failed_folder)
);
create trigger mailboxes_updated_at before update on public.mailboxes
  for each row execute function public.set_updated_at();

create table public.mailbox_seen (
  client_id uuid not null references public.clients (id) on delete cascade,
  mailbox_id uuid not null,
  key text not null check (char_length(key) between 1 and 1200),
  value text not null check (char_length(value) <= 1000),
  updated_at timestamptz not null default now(),
  primary key (mailbox_id, key),
  foreign key (client_id, mailbox_id) references public.mailboxes (client_id, id) on delete cascade
);

create table public.mailbox_messages (
  id bigint generated always as identity primary key,
  client_id uuid not null references public.clients (id) on delete cascade,
  mailbox_id uuid not null,
  message_key text not null check (char_length(message_key) <= 1000),
  uid bigint,
  sender text check (char_length(sender) <= 320),
  subject text check (char_length(subject) <= 1000),
  outcome text not null check (outcome in ('processed', 'failed', 'retry', 'already_done')),
  reason text check (char_length(reason) <= 2000),
  documents jsonb not null default '[]'::jsonb,
  created_at timestamptz not null default now(),
  foreign key (client_id, mailbox_id) references public.mailboxes (client_id, id) on delete cascade
);
create index mailbox_messages_mailbox_idx on public.mailbox_messages (mailbox_id, id desc);
create index mailbox_messages_failed_idx on public.mailbox_messages (client_id, id desc)
  where outcome = 'failed';

-- The mailboxes whose principal is the caller (for the policies; not granted).
create or replace function public.my_mailbox_ids() returns setof uuid
language sql
stable
security definer
set search_path = ''
rows 1
as $$
  select b.id from public.mailboxes b where b.principal_id = (select auth.uid())
$$;

alter table public.mailboxes enable row level security;
alter table public.mailboxes force row level security;
alter table public.mailbox_seen enable row level security;
alter table public.mailbox_seen force row level security;
alter table public.mailbox_messages enable row level security;
alter table public.mailbox_messages force row level security;
revoke all on table public.mailboxes, public.mailbox_seen, public.mailbox_messages
  from public, anon, authenticated, service_role;
grant select (id, client_id, principal_id, name, host, port, security, username, folder,
              processed_folder, failed_folder, enabled, poll_interval_seconds, last_poll_at,
              last_success_at, last_error, last_counts, created_by, created_at, updated_at)
  on table public.mailboxes to authenticated;
grant select, insert, update on table public.mailbox_seen to authenticated;
grant select, insert on table public.mailbox_messages to authenticated;
grant usage on sequence public.mailbox_messages_id_seq to authenticated;
-- The poller (service session 'mail.poll'): which mailboxes are due, their secret, bookkeeping.
grant select, update (last_poll_at, last_success_at, last_error, last_counts)
  on table public.mailboxes to service_role;
grant select, delete on table public.mailbox_seen, public.mailbox_messages to service_role;

create policy mailboxes_select on public.mailboxes for select to authenticated
  using (
    client_id in (select public.member_client_ids('{owner,operator}'))
    or principal_id = (select auth.uid())
  );
create policy mailbox_seen_select on public.mailbox_seen for select to authenticated
  using (
    mailbox_id in (select public.my_mailbox_ids())
    or client_id in (select public.member_client_ids('{owner,operator}'))
  );
create policy mailbox_seen_insert on public.mailbox_seen for insert to authenticated
  with check (mailbox_id in (select public.my_mailbox_ids()));
create policy mailbox_seen_update on public.mailbox_seen for update to authenticated
  using (mailbox_id in (select public.my_mailbox_ids()))
  with check (mailbox_id in (select public.my_mailbox_ids()));
create policy mailbox_messages_select on public.mailbox_messages for select to authenticated
  using (
    mailbox_id in (select public.my_mailbox_ids())
    or client_id in (select public.member_client_ids('{owner,operator}'))
  );
create policy mailbox_messages_insert on public.mailbox_messages for insert to authenticated
  with check (mailbox_id in (select public.my_mailbox_ids()));

create or replace function public.create_mailbox(
  p_client_id uuid,
  p_name text,
  p_host text,
  p_port integer,
  p_security text,
  p_username text,
  p_password_ciphertext text,
  p_folder text default 'INBOX',
  p_processed_folder text default 'InvoiceFlow-Processed',
  p_failed_folder text default 'InvoiceFlow-Failed',
  p_poll_interval_seconds integer default 60
) returns public.mailboxes
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_principal uuid;
  v_box public.mailboxes;
begin
  perform public.require_client_owner(p_client_id, 'client');
  v_principal := public.create_service_principal(p_client_id, 'mailbox', p_name, 'operator');
  insert into public.mailboxes (client_id, principal_id, name, host, port, security, username,
                                password_ciphertext, folder, processed_folder, failed_folder,
                                poll_interval_seconds, created_by)
  values (p_client_id, v_principal, btrim(p_name), p_host, p_port, p_security, p_username,
          p_password_ciphertext, coalesce(p_folder, 'INBOX'),
          coalesce(p_processed_folder, 'InvoiceFlow-Processed'),
          coalesce(p_failed_folder, 'InvoiceFlow-Failed'), coalesce(p_poll_interval_seconds, 60),
          (select auth.uid()))
  returning * into v_box;
  insert into public.audit_events (client_id, actor_id, action, after, meta)
  values (p_client_id, (select auth.uid()), 'mailbox.created',
          jsonb_build_object('name', v_box.name, 'host', v_box.host, 'port', v_box.port,
                             'username', v_box.username, 'folder', v_box.folder),
          jsonb_build_object('mailbox_id', v_box.id, 'principal_id', v_principal));
  return v_box;
end;
$$;

-- Null arguments keep the current value (the password too).
create or replace function public.update_mailbox(
  p_mailbox_id uuid,
  p_name text default null,
  p_host text default null,
  p_port integer default null,
  p_security text default null,
  p_username text default null,
  p_password_ciphertext text default null,
  p_folder text default null,
  p_processed_folder text default null,
  p_failed_folder text default null,
  p_enabled boolean default null,
  p_poll_interval_seconds integer default null
) returns public.mailboxes
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_old public.mailboxes;
  v_new public.mailboxes;
begin
  select * into v_old from public.mailboxes b where b.id = p_mailbox_id for update;
  perform public.require_client_owner(v_old.client_id, 'mailbox');
  update public.mailboxes b
     set name = coalesce(btrim(p_name), b.name), host = coalesce(p_host, b.host),
         port = coalesce(p_port, b.port), security = coalesce(p_security, b.security),
         username = coalesce(p_username, b.username),
         password_ciphertext = coalesce(p_password_ciphertext, b.password_ciphertext),
         folder = coalesce(p_folder, b.folder),
         processed_folder = coalesce(p_processed_folder, b.processed_folder),
         failed_folder = coalesce(p_failed_folder, b.failed_folder),
         enabled = coalesce(p_enabled, b.enabled),
         poll_interval_seconds = coalesce(p_poll_interval_seconds, b.poll_interval_seconds),
         last_error = case when p_password_ciphertext is not null or p_host is not null
                           then null else b.last_error end
   where b.id = p_mailbox_id
  returning * into v_new;
  insert into public.audit_events (client_id, actor_id, action, before, after, meta)
  values (v_new.client_id, (select auth.uid()), 'mailbox.updated',
          jsonb_build_object('name', v_old.name, 'host', v_old.host, 'port', v_old.port,
                             'username', v_old.username, 'folder', v_old.folder,
                             'enabled', v_old.enabled),
          jsonb_build_object('name', v_new.name, 'host', v_new.host, 'port', v_new.port,
                             'username', v_new.username, 'folder', v_new.folder,
                             'enabled', v_new.enabled),
          jsonb_build_object('mailbox_id', v_new.id,
                             'password_changed', p_password_ciphertext is not null));
  return v_new;
end;
$$;

create or replace function public.delete_mailbox(p_mailbox_id uuid) returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_old public.mailboxes;
begin
  select * into v_old from public.mailboxes b where b.id = p_mailbox_id for update;
  perform public.require_client_owner(v_old.client_id, 'mailbox');
  delete from public.mailboxes b where b.id = p_mailbox_id;
  perform public.end_service_principal(v_old.principal_id);
  insert into public.audit_events (client_id, actor_id, action, before, meta)
  values (v_old.client_id, (select auth.uid()), 'mailbox.deleted',
          jsonb_build_object('name', v_old.name, 'host', v_old.host, 'username', v_old.username),
          jsonb_build_object('mailbox_id', v_old.id, 'principal_id', v_old.principal_id));
end;
$$;

revoke all on function public.my_mailbox_ids() from public, anon, authenticated;
grant execute on function public.my_mailbox_ids() to authenticated;
revoke all on function public.create_mailbox(uuid, text, text, integer, text, text, text, text,
                                             text, text, integer) from public, anon;
grant execute on function public.create_mailbox(uuid, text, text, integer, text, text, text,
                                                text, text, text, integer) to authenticated;
revoke all on function public.update_mailbox(uuid, text, text, integer, text, text, text, text,
                                             text, text, boolean, integer) from public, anon;
grant execute on function public.update_mailbox(uuid, text, text, integer, text, text, text,
                                                text, text, text, boolean, integer)
  to authenticated;
revoke all on function public.delete_mailbox(uuid) from public, anon;
grant execute on function public.delete_mailbox(uuid) to authenticated;
