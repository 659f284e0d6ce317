-- Members are invited and join only by accepting (issue 11, F11 consent half; F1 step 1).
--
-- Before: an owner added anyone by e-mail, without asking them, and the answer told whether the
-- address had an account (and its user id). Now an owner invites an address: the answer is the
-- same whatever the address (no user id, no "has not signed up"); the invitee sees the
-- invitations sent to the verified e-mail address of their token and accepts or declines; the
-- membership exists only after acceptance. Owners list and revoke their client's invitations.
-- Every step is a security-definer function with its own check; users only read rows.

create table public.client_invitations (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id) on delete cascade,
  email text not null check (
    email = lower(btrim(email))
    and char_length(email) between 3 and 320
    and email ~ '^[^@[:space:][:cntrl:]]+@[^@[:space:][:cntrl:]]+\.[^@[:space:][:cntrl:]]+$'
  ),
  role public.member_role not null,
  invited_by uuid references auth.users (id) on delete set null default auth.uid(),
  expires_at timestamptz not null default now() + interval '14 days',
  accepted_at timestamptz,
  accepted_by uuid references auth.users (id) on delete set null,
  declined_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (num_nonnulls(accepted_at, declined_at, revoked_at) <= 1)
);
-- One open invitation per address and client (an invitation again renews it).
create unique index client_invitations_open_idx on public.client_invitations (client_id, email)
  where accepted_at is null and declined_at is null and revoked_at is null;
create index client_invitations_email_idx on public.client_invitations (email)
  where accepted_at is null and declined_at is null and revoked_at is null;
create trigger client_invitations_updated_at before update on public.client_invitations
  for each row execute function public.set_updated_at();
create trigger client_invitations_stamp_inviter before insert or update
  on public.client_invitations
  for each row execute function public.stamp_creator('invited_by');

-- The caller's e-mail address, if it is confirmed and is the one their token carries.
create or replace function public.verified_email() returns text
language sql
stable
security definer
set search_path = ''
as $$
  select lower(u.email)
    from auth.users u
   where u.id = (select auth.uid())
     and u.email_confirmed_at is not null
     and lower(u.email) = lower((select auth.jwt()) ->> 'email')
$$;

alter table public.client_invitations enable row level security;
alter table public.client_invitations force row level security;
revoke all on table public.client_invitations from public, anon, authenticated, service_role;
grant select on table public.client_invitations to authenticated;
grant select, insert, update, delete on table public.client_invitations to service_role;

-- Owners see their client's invitations; an invitee sees those sent to their verified address.
create policy client_invitations_select on public.client_invitations for select to authenticated
  using (
    client_id in (select public.member_client_ids('{owner}'))
    or email = (select public.verified_email())
  );

create or replace function public.invite_client_member(
  p_client_id uuid,
  p_email text,
  p_role public.member_role
) returns public.client_invitations
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_email text := lower(btrim(coalesce(p_email, '')));
  v_invitation public.client_invitations;
begin
  if p_client_id not in (select public.member_client_ids()) then
    raise exception 'client not found' using errcode = 'P0002';
  end if;
  if p_client_id not in (select public.member_client_ids('{owner}')) then
    raise exception 'only owners invite members' using errcode = '42501';
  end if;
  if p_role is null then
    raise exception 'an invitation needs a role' using errcode = '22023';
  end if;
  select * into v_invitation
    from public.client_invitations i
   where i.client_id = p_client_id and i.email = v_email
     and i.accepted_at is null and i.declined_at is null and i.revoked_at is null
     for update;
  if found then
    update public.client_invitations i
       set role = p_role, expires_at = now() + interval '14 days',
           invited_by = (select auth.uid())
     where i.id = v_invitation.id
    returning * into v_invitation;
  else
    insert into public.client_invitations (client_id, email, role, invited_by)
    values (p_client_id, v_email, p_role, (select auth.uid()))
    returning * into v_invitation;
  end if;
  return v_invitation;
end;
$$;

create or replace function public.revoke_client_invitation(p_invitation_id uuid)
returns public.client_invitations
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_invitation public.client_invitations;
begin
  select * into v_invitation
    from public.client_invitations i
   where i.id = p_invitation_id
     and i.client_id in (select public.member_client_ids())
     for update;
  if not found then
    raise exception 'invitation not found' using errcode = 'P0002';
  end if;
  if v_invitation.client_id not in (select public.member_client_ids('{owner}')) then
    raise exception 'only owners revoke invitations' using errcode = '42501';
  end if;
  if num_nonnulls(v_invitation.accepted_at, v_invitation.declined_at,
                  v_invitation.revoked_at) > 0 then
    raise exception 'this invitation was already answered or revoked' using errcode = '55000';
  end if;
  update public.client_invitations i set revoked_at = now()
   where i.id = v_invitation.id
  returning * into v_invitation;
  return v_invitation;
end;
$$;

-- The invitee's answer. Accepting creates the membership (or keeps an existing one as it is).
create or replace function public.answer_client_invitation(p_invitation_id uuid, p_accept boolean)
returns public.client_invitations
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_email text := (select public.verified_email());
  v_invitation public.client_invitations;
begin
  select * into v_invitation
    from public.client_invitations i
   where i.id = p_invitation_id and i.email = v_email
     for update;
  if not found or v_email is null then
    raise exception 'invitation not found' using errcode = 'P0002';
  end if;
  if num_nonnulls(v_invitation.accepted_at, v_invitation.declined_at,
                  v_invitation.revoked_at) > 0 then
    raise exception 'this invitation was already answered or revoked' using errcode = '55000';
  end if;
  if v_invitation.expires_at <= now() then
    raise exception 'this invitation has expired' using errcode = '55000';
  end if;
  if coalesce(p_accept, false) then
    insert into public.client_members (client_id, user_id, role, invited_by)
    values (v_invitation.client_id, (select auth.uid()), v_invitation.role,
            v_invitation.invited_by)
    on conflict (client_id, user_id) do nothing;
    update public.client_invitations i
       set accepted_at = now(), accepted_by = (select auth.uid())
     where i.id = v_invitation.id
    returning * into v_invitation;
  else
    update public.client_invitations i set declined_at = now()
     where i.id = v_invitation.id
    returning * into v_invitation;
  end if;
  return v_invitation;
end;
$$;

-- Open invitations sent to the caller's verified address, with the inviting client's name (the
-- invitee cannot read clients yet).
create or replace function public.my_client_invitations()
returns table (
  id uuid, client_id uuid, client_name text, role public.member_role,
  expires_at timestamptz, created_at timestamptz
)
language sql
stable
security definer
set search_path = ''
as $$
  select i.id, i.client_id, c.name, i.role, i.expires_at, i.created_at
    from public.client_invitations i
    join public.clients c on c.id = i.client_id
   where i.email = (select public.verified_email())
     and i.accepted_at is null and i.declined_at is null and i.revoked_at is null
     and i.expires_at > now()
   order by i.created_at, i.id
$$;

create or replace function public.audit_invitation_change() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_action text;
begin
  if tg_op = 'INSERT' then
    v_action := 'invitation.created';
  elsif tg_op = 'DELETE' then
    return null;  -- only with the client (cascade) or by service_role housekeeping
  elsif new.accepted_at is not null and old.accepted_at is null then
    v_action := 'invitation.accepted';
  elsif new.declined_at is not null and old.declined_at is null then
    v_action := 'invitation.declined';
  elsif new.revoked_at is not null and old.revoked_at is null then
    v_action := 'invitation.revoked';
  else
    v_action := 'invitation.renewed';
  end if;
  insert into public.audit_events (client_id, actor_id, action, after, meta)
  values (new.client_id, (select auth.uid()), v_action,
          jsonb_build_object('email', new.email, 'role', new.role),
          jsonb_build_object('invitation_id', new.id, 'expires_at', new.expires_at));
  return null;
end
$$;
create trigger client_invitations_audit after insert or update or delete
  on public.client_invitations
  for each row execute function public.audit_invitation_change();

revoke all on function public.verified_email() from public, anon;
grant execute on function public.verified_email() to authenticated, service_role;
revoke all on function public.invite_client_member(uuid, text, public.member_role)
  from public, anon;
grant execute on function public.invite_client_member(uuid, text, public.member_role)
  to authenticated;
revoke all on function public.revoke_client_invitation(uuid) from public, anon;
grant execute on function public.revoke_client_invitation(uuid) to authenticated;
revoke all on function public.answer_client_invitation(uuid, boolean) from public, anon;
grant execute on function public.answer_client_invitation(uuid, boolean) to authenticated;
revoke all on function public.my_client_invitations() from public, anon;
grant execute on function public.my_client_invitations() to authenticated;
revoke all on function public.audit_invitation_change() from public, anon, authenticated;
