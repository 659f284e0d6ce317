-- Row level security for every public table, one security-definer membership function for all
-- policies, and explicit grants (Supabase grants everything in public to anon/authenticated by
-- default privileges; we revoke that first so the grants below are the whole truth).
--
-- Who may do what (rows of a client, for its members only; non-members and anon see nothing):
--   read                                   any member (owner, operator, analyst, viewer)
--   clients: update/delete                 owner; insert: any signed-in user (becomes owner)
--   client_members: insert/update/delete   owner
--   files, batches, invoices, invoice_lines, vendors, purchase orders (+lines), goods receipts
--   (+lines), matches, extraction_cache    owner, operator
--   match_profiles: write                  owner, analyst
--   audit_events: insert                   owner, operator, analyst (as themselves); never
--                                          update/delete (no grant, and a trigger refuses)

-- The one membership check. security definer so policies can read client_members without
-- recursing into its own policy; search_path pinned so callers cannot shadow anything.
create or replace function public.has_client_role(
  p_client_id uuid,
  p_roles public.member_role[] default null
) returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1
    from public.client_members m
    where m.client_id = p_client_id
      and m.user_id = (select auth.uid())
      and (p_roles is null or m.role = any (p_roles))
  )
$$;

-- First folder of a storage key as a client id, or null when it is not a uuid (never an error:
-- a malformed key in the bucket must not break every listing).
create or replace function public.storage_client_id(p_name text) returns uuid
language plpgsql
immutable
set search_path = ''
as $$
declare
  _first text := (storage.foldername(p_name))[1];
begin
  if _first ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    return _first::uuid;
  end if;
  return null;
end
$$;

-- A new client's creator becomes its owner (security definer: no membership exists yet).
create or replace function public.add_client_creator_as_owner() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.created_by is not null then
    insert into public.client_members (client_id, user_id, role)
    values (new.id, new.created_by, 'owner')
    on conflict (client_id, user_id) do update set role = 'owner';
  end if;
  return new;
end
$$;
create trigger clients_creator_is_owner after insert on public.clients
  for each row execute function public.add_client_creator_as_owner();

-- created_by never changes after insert (the clients select policy trusts it).
create or replace function public.keep_created_by() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.created_by := old.created_by;
  return new;
end
$$;
create trigger clients_keep_created_by before update on public.clients
  for each row execute function public.keep_created_by();

revoke all on function public.has_client_role(uuid, public.member_role[]) from public, anon;
revoke all on function public.storage_client_id(text) from public, anon;
revoke all on function public.add_client_creator_as_owner() from public, anon, authenticated;
revoke all on function public.keep_created_by() from public, anon, authenticated;
revoke all on function public.set_updated_at() from public, anon, authenticated;
revoke all on function public.bump_version() from public, anon, authenticated;
revoke all on function public.audit_events_are_append_only() from public, anon, authenticated;
grant execute on function public.has_client_role(uuid, public.member_role[])
  to authenticated, service_role;
grant execute on function public.storage_client_id(text) to authenticated, service_role;

-- RLS on, and FORCE so even the table owner goes through policies unless it bypasses RLS
-- (superuser, or BYPASSRLS like Supabase's postgres). Not forced on client_members: the
-- security-definer membership function reads it as the owner.
do $$
declare
  t text;
begin
  foreach t in array array[
    'clients', 'client_members', 'batches', 'files', 'vendors', 'purchase_orders',
    'purchase_order_lines', 'goods_receipts', 'goods_receipt_lines', 'invoices', 'invoice_lines',
    'match_profiles', 'matches', 'extraction_cache', 'audit_events'
  ] loop
    execute format('alter table public.%I enable row level security', t);
    if t <> 'client_members' then
      execute format('alter table public.%I force row level security', t);
    end if;
    execute format('revoke all on table public.%I from public, anon, authenticated, service_role', t);
  end loop;
end
$$;

-- clients
create policy clients_select on public.clients for select to authenticated
  using (public.has_client_role(id) or created_by = (select auth.uid()));
create policy clients_insert on public.clients for insert to authenticated
  with check (created_by = (select auth.uid()));
create policy clients_update on public.clients for update to authenticated
  using (public.has_client_role(id, '{owner}'))
  with check (public.has_client_role(id, '{owner}'));
create policy clients_delete on public.clients for delete to authenticated
  using (public.has_client_role(id, '{owner}'));

-- client_members: members see who else is in their clients; only owners change membership.
create policy client_members_select on public.client_members for select to authenticated
  using (public.has_client_role(client_id));
create policy client_members_insert on public.client_members for insert to authenticated
  with check (public.has_client_role(client_id, '{owner}'));
create policy client_members_update on public.client_members for update to authenticated
  using (public.has_client_role(client_id, '{owner}'))
  with check (public.has_client_role(client_id, '{owner}'));
create policy client_members_delete on public.client_members for delete to authenticated
  using (public.has_client_role(client_id, '{owner}'));

-- Operational tables: members read, owners and operators write.
do $$
declare
  t text;
begin
  foreach t in array array[
    'batches', 'files', 'vendors', 'purchase_orders', 'purchase_order_lines', 'goods_receipts',
    'goods_receipt_lines', 'invoices', 'invoice_lines', 'matches', 'extraction_cache'
  ] loop
    execute format(
      'create policy %I on public.%I for select to authenticated '
      'using (public.has_client_role(client_id))', t || '_select', t);
    execute format(
      'create policy %I on public.%I for insert to authenticated '
      'with check (public.has_client_role(client_id, ''{owner,operator}''))', t || '_insert', t);
    execute format(
      'create policy %I on public.%I for update to authenticated '
      'using (public.has_client_role(client_id, ''{owner,operator}'')) '
      'with check (public.has_client_role(client_id, ''{owner,operator}''))', t || '_update', t);
    execute format(
      'create policy %I on public.%I for delete to authenticated '
      'using (public.has_client_role(client_id, ''{owner,operator}''))', t || '_delete', t);
  end loop;
end
$$;

-- match_profiles: members read, owners and analysts write (profiles are tuned in notebooks).
create policy match_profiles_select on public.match_profiles for select to authenticated
  using (public.has_client_role(client_id));
create policy match_profiles_insert on public.match_profiles for insert to authenticated
  with check (public.has_client_role(client_id, '{owner,analyst}'));
create policy match_profiles_update on public.match_profiles for update to authenticated
  using (public.has_client_role(client_id, '{owner,analyst}'))
  with check (public.has_client_role(client_id, '{owner,analyst}'));
create policy match_profiles_delete on public.match_profiles for delete to authenticated
  using (public.has_client_role(client_id, '{owner,analyst}'));

-- audit_events: members read; writers append as themselves.
create policy audit_events_select on public.audit_events for select to authenticated
  using (public.has_client_role(client_id));
create policy audit_events_insert on public.audit_events for insert to authenticated
  with check (
    actor_id = (select auth.uid())
    and public.has_client_role(client_id, '{owner,operator,analyst}')
  );

-- Grants: authenticated gets DML where a policy allows something; RLS does the rest.
-- service_role (named system tasks) bypasses RLS but still needs privileges.
grant usage on schema public to authenticated, service_role;
grant usage on type public.member_role to authenticated, service_role;
do $$
declare
  t text;
begin
  foreach t in array array[
    'clients', 'client_members', 'batches', 'files', 'vendors', 'purchase_orders',
    'purchase_order_lines', 'goods_receipts', 'goods_receipt_lines', 'invoices', 'invoice_lines',
    'match_profiles', 'matches', 'extraction_cache'
  ] loop
    execute format('grant select, insert, update, delete on table public.%I to authenticated, service_role', t);
  end loop;
end
$$;
grant select, insert on table public.audit_events to authenticated, service_role;
grant usage on sequence public.audit_events_id_seq to authenticated, service_role;
