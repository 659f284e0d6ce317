-- Integrity of tenants, members, files, profiles and vendor bank details (issue 11: F1, F13).
--
--   * clients are read by members only (F13: a removed creator no longer reads the client). A
--     client is created through public.create_client(name), which returns the new row (a plain
--     INSERT ... RETURNING could not: the creator is not a member until the row exists);
--   * members join only by accepting an invitation (next migration): users may not insert into
--     client_members; owners change roles (role column only) and remove members; a client keeps
--     at least one owner;
--   * a file row names an object of its own client in the one bucket: bucket 'invoices' and the
--     key's first folder = client_id (the layout core/storage/keys.py already makes), so a file
--     row can never point at another client's object (F1);
--   * match profiles are immutable rows: saved by insert, activated through
--     public.activate_match_profile(client, version);
--   * audit events for client creation, membership, profiles, vendor bank details (an IBAN change
--     is how payment fraud starts) and reference imports are written by triggers and definer
--     functions, with the caller as actor.

-- Clients ------------------------------------------------------------------------------------
alter policy clients_select on public.clients
  using (id in (select public.member_client_ids()));
drop policy clients_insert on public.clients;
revoke insert, update on table public.clients from authenticated;
grant update (name, settings) on table public.clients to authenticated;

create or replace function public.create_client(p_name text)
returns public.clients
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_client public.clients;
begin
  if (select auth.uid()) is null then
    raise exception 'only a signed-in user creates clients' using errcode = '42501';
  end if;
  insert into public.clients (name, created_by)
  values (p_name, (select auth.uid()))
  returning * into v_client;
  return v_client;
end;
$$;

create or replace function public.audit_client_created() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.audit_events (client_id, actor_id, action, after)
  values (new.id, (select auth.uid()), 'client.created', jsonb_build_object('name', new.name));
  return null;
end
$$;
create trigger clients_audit after insert on public.clients
  for each row execute function public.audit_client_created();

-- Members ------------------------------------------------------------------------------------
drop policy client_members_insert on public.client_members;
revoke insert, update on table public.client_members from authenticated;
grant update (role) on table public.client_members to authenticated;

create or replace function public.audit_member_change() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    insert into public.audit_events (client_id, actor_id, action, before, after, meta)
    values (
      new.client_id, (select auth.uid()), 'member.set',
      jsonb_build_object('user_id', new.user_id, 'role', null),
      jsonb_build_object('user_id', new.user_id, 'role', new.role),
      jsonb_strip_nulls(jsonb_build_object('invited_by', new.invited_by))
    );
  elsif tg_op = 'UPDATE' then
    if new.role is not distinct from old.role then
      return null;
    end if;
    insert into public.audit_events (client_id, actor_id, action, before, after)
    values (
      new.client_id, (select auth.uid()), 'member.set',
      jsonb_build_object('user_id', old.user_id, 'role', old.role),
      jsonb_build_object('user_id', new.user_id, 'role', new.role)
    );
  elsif exists (select 1 from public.clients c where c.id = old.client_id) then
    insert into public.audit_events (client_id, actor_id, action, before)
    values (
      old.client_id, (select auth.uid()), 'member.removed',
      jsonb_build_object('user_id', old.user_id, 'role', old.role)
    );
  end if;
  return null;
end
$$;
create trigger client_members_audit after insert or update or delete on public.client_members
  for each row execute function public.audit_member_change();

-- The last owner can be neither removed nor demoted (unless the client itself is deleted).
create or replace function public.client_keeps_an_owner() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if old.role = 'owner'
     and (tg_op = 'DELETE' or new.role <> 'owner')
     and exists (select 1 from public.clients c where c.id = old.client_id)
     and not exists (
       select 1 from public.client_members m
        where m.client_id = old.client_id and m.role = 'owner'
     ) then
    raise exception 'a client needs at least one owner' using errcode = '23514';
  end if;
  return null;
end
$$;
create trigger client_members_keep_an_owner after update or delete on public.client_members
  for each row execute function public.client_keeps_an_owner();

-- Files and batches --------------------------------------------------------------------------
-- (is not distinct from: a key without a uuid first folder gives null, which must fail too)
alter table public.files add constraint files_object_in_client_folder
  check (bucket = 'invoices' and public.storage_client_id(object_key) is not distinct from client_id);
revoke update on table public.files from authenticated;
grant update (original_name) on table public.files to authenticated;
revoke update on table public.batches from authenticated;
grant update (name, status) on table public.batches to authenticated;

-- Match profiles -----------------------------------------------------------------------------
drop policy match_profiles_update on public.match_profiles;
revoke insert, update on table public.match_profiles from authenticated;
grant insert (id, client_id, version, name, profile, notes)
  on table public.match_profiles to authenticated;

create or replace function public.audit_profile_change() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    insert into public.audit_events (client_id, actor_id, action, after)
    values (new.client_id, (select auth.uid()), 'profile.saved',
            jsonb_build_object('version', new.version, 'name', new.name));
  elsif exists (select 1 from public.clients c where c.id = old.client_id) then
    insert into public.audit_events (client_id, actor_id, action, before)
    values (old.client_id, (select auth.uid()), 'profile.deleted',
            jsonb_build_object('version', old.version, 'name', old.name,
                               'is_active', old.is_active));
  end if;
  return null;
end
$$;
create trigger match_profiles_audit after insert or delete on public.match_profiles
  for each row execute function public.audit_profile_change();

-- The one door that changes which profile decides new matches.
create or replace function public.activate_match_profile(p_client_id uuid, p_version integer)
returns public.match_profiles
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_profile public.match_profiles;
  v_previous integer;
begin
  if p_client_id not in (select public.member_client_ids()) then
    raise exception 'client not found' using errcode = 'P0002';
  end if;
  if p_client_id not in (
    select public.member_client_ids(array['owner', 'analyst']::public.member_role[])
  ) then
    raise exception 'your role may not activate match profiles' using errcode = '42501';
  end if;
  select * into v_profile
    from public.match_profiles p
   where p.client_id = p_client_id and p.version = p_version
     for update;
  if not found then
    raise exception 'profile version % not found', p_version using errcode = 'P0002';
  end if;
  select p.version into v_previous
    from public.match_profiles p
   where p.client_id = p_client_id and p.is_active
     for update;
  update public.match_profiles p set is_active = false
   where p.client_id = p_client_id and p.is_active and p.id <> v_profile.id;
  update public.match_profiles p set is_active = true
   where p.id = v_profile.id
  returning * into v_profile;
  insert into public.audit_events (client_id, actor_id, action, before, after)
  values (p_client_id, (select auth.uid()), 'profile.activated',
          jsonb_build_object('version', v_previous), jsonb_build_object('version', p_version));
  return v_profile;
end;
$$;

-- Vendors: bank details --------------------------------------------------------------------
create or replace function public.audit_vendor_bank_change() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    if new.iban is null and new.bic is null then
      return null;
    end if;
    insert into public.audit_events (client_id, actor_id, action, after, meta)
    values (new.client_id, (select auth.uid()), 'vendor.bank_changed',
            jsonb_build_object('iban', new.iban, 'bic', new.bic),
            jsonb_strip_nulls(jsonb_build_object('vendor_id', new.id, 'name', new.name,
                                                 'external_id', new.external_id)));
  elsif tg_op = 'UPDATE' then
    if new.iban is not distinct from old.iban and new.bic is not distinct from old.bic then
      return null;
    end if;
    insert into public.audit_events (client_id, actor_id, action, before, after, meta)
    values (new.client_id, (select auth.uid()), 'vendor.bank_changed',
            jsonb_build_object('iban', old.iban, 'bic', old.bic),
            jsonb_build_object('iban', new.iban, 'bic', new.bic),
            jsonb_strip_nulls(jsonb_build_object('vendor_id', new.id, 'name', new.name,
                                                 'external_id', new.external_id)));
  elsif (old.iban is not null or old.bic is not null)
        and exists (select 1 from public.clients c where c.id = old.client_id) then
    insert into public.audit_events (client_id, actor_id, action, before, meta)
    values (old.client_id, (select auth.uid()), 'vendor.deleted',
            jsonb_build_object('name', old.name, 'iban', old.iban, 'bic', old.bic),
            jsonb_strip_nulls(jsonb_build_object('vendor_id', old.id,
                                                 'external_id', old.external_id)));
  end if;
  return null;
end
$$;
create trigger vendors_audit_bank after insert or update or delete on public.vendors
  for each row execute function public.audit_vendor_bank_change();

-- Reference imports: the summary of one import (each row's own change is audited above where
-- it matters). Only the import actions, only by owners and operators, as themselves.
create or replace function public.record_reference_import(
  p_client_id uuid,
  p_kind text,
  p_created integer,
  p_updated integer,
  p_meta jsonb default '{}'::jsonb
) returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  if p_client_id not in (select public.member_client_ids()) then
    raise exception 'client not found' using errcode = 'P0002';
  end if;
  if p_client_id not in (
    select public.member_client_ids(array['owner', 'operator']::public.member_role[])
  ) then
    raise exception 'your role may not import reference data' using errcode = '42501';
  end if;
  if p_kind not in ('vendors', 'purchase_orders', 'goods_receipts')
     or p_created is null or p_created < 0 or p_updated is null or p_updated < 0
     or jsonb_typeof(coalesce(p_meta, '{}'::jsonb)) is distinct from 'object'
     or octet_length(coalesce(p_meta, '{}'::jsonb)::text) > 16384 then
    raise exception 'not a reference import summary' using errcode = '22023';
  end if;
  insert into public.audit_events (client_id, actor_id, action, after, meta)
  values (p_client_id, (select auth.uid()), 'reference.imported.' || p_kind,
          jsonb_build_object('created', p_created, 'updated', p_updated),
          coalesce(p_meta, '{}'::jsonb));
end;
$$;

-- Grants on the new functions: doors for signed-in users, triggers for nobody.
revoke all on function public.create_client(text) from public, anon;
grant execute on function public.create_client(text) to authenticated;
revoke all on function public.activate_match_profile(uuid, integer) from public, anon;
grant execute on function public.activate_match_profile(uuid, integer) to authenticated;
revoke all on function public.record_reference_import(uuid, text, integer, integer, jsonb)
  from public, anon;
grant execute on function public.record_reference_import(uuid, text, integer, integer, jsonb)
  to authenticated;
revoke all on function public.audit_client_created() from public, anon, authenticated;
revoke all on function public.audit_member_change() from public, anon, authenticated;
revoke all on function public.client_keeps_an_owner() from public, anon, authenticated;
revoke all on function public.audit_profile_change() from public, anon, authenticated;
revoke all on function public.audit_vendor_bank_change() from public, anon, authenticated;
