-- Members are invited (issue 11, F11): the same answer for any address, membership only when the
-- invitee (matched by the verified e-mail of their token) accepts; owners list and revoke.
begin;
select plan(16);

insert into auth.users (id, email, aud, role, email_confirmed_at) values
  ('a0000000-0000-4000-8000-000000000001', 'owner@invite.test', 'authenticated', 'authenticated', now()),
  ('a0000000-0000-4000-8000-000000000002', 'operator@invite.test', 'authenticated', 'authenticated', now()),
  ('d0000000-0000-4000-8000-000000000001', 'invitee@invite.test', 'authenticated', 'authenticated', now()),
  ('d0000000-0000-4000-8000-000000000002', 'unconfirmed@invite.test', 'authenticated', 'authenticated', null);
insert into public.clients (id, name, created_by) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'Client A', 'a0000000-0000-4000-8000-000000000001');
insert into public.client_members (client_id, user_id, role) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-000000000002', 'operator');

create function pg_temp.act_as(p_user uuid, p_email text) returns void language sql as $$
  select set_config('role', 'authenticated', true),
         set_config('request.jwt.claims',
                    json_build_object('sub', p_user, 'role', 'authenticated', 'email', p_email)::text,
                    true);
$$;

-- Owner invites: one address with an account, one without; the answers have the same shape.
select pg_temp.act_as('a0000000-0000-4000-8000-000000000001', 'owner@invite.test');
create temp table sent on commit drop as
  select * from public.invite_client_member('aaaaaaaa-0000-4000-8000-000000000000', ' Invitee@Invite.test ', 'analyst')
  union all
  select * from public.invite_client_member('aaaaaaaa-0000-4000-8000-000000000000', 'nobody@invite.test', 'analyst');
select is((select array_agg(email order by email) from sent),
  array['invitee@invite.test', 'nobody@invite.test'], 'addresses are stored trimmed and lower-case');
select is((select count(distinct (invited_by, role, accepted_by))::int from sent), 1,
  'an address with an account gets the same invitation as one without (no user id anywhere)');
select is((select count(*)::int from public.client_members
           where user_id = 'd0000000-0000-4000-8000-000000000001'), 0,
  'inviting adds nobody');
select is((select count(*)::int from public.client_invitations), 2, 'the owner lists the invitations');
reset role;

select pg_temp.act_as('a0000000-0000-4000-8000-000000000002', 'operator@invite.test');
select throws_ok(
  $$select public.invite_client_member('aaaaaaaa-0000-4000-8000-000000000000', 'x@invite.test', 'owner')$$,
  '42501', null, 'an operator cannot invite');
select is_empty('select id from public.client_invitations', 'an operator does not see invitations');
reset role;

-- The unconfirmed user, or a token whose e-mail is not the account's, sees nothing.
select pg_temp.act_as('d0000000-0000-4000-8000-000000000002', 'unconfirmed@invite.test');
select is_empty('select * from public.my_client_invitations()', 'an unconfirmed address sees no invitation');
reset role;
select pg_temp.act_as('d0000000-0000-4000-8000-000000000002', 'invitee@invite.test');
select is_empty('select * from public.my_client_invitations()',
  'a token claiming someone else''s address sees no invitation');
select throws_ok(
  format('select public.answer_client_invitation(%L, true)',
         (select id from public.client_invitations where email = 'invitee@invite.test')),
  'P0002', null, '... and cannot accept it');
reset role;

-- The invitee sees theirs, with the client's name, and accepts.
select pg_temp.act_as('d0000000-0000-4000-8000-000000000001', 'invitee@invite.test');
select results_eq('select client_name, role::text from public.my_client_invitations()',
  $$values ('Client A'::text, 'analyst'::text)$$, 'the invitee sees the invitation and the client name');
select is_empty('select id from public.clients', 'before accepting the invitee reads no client');
select lives_ok(
  format('select public.answer_client_invitation(%L, true)',
         (select id from public.my_client_invitations())),
  'the invitee accepts');
select results_eq('select name from public.clients', array['Client A'], '... and is now a member');
select throws_ok(
  format('select public.answer_client_invitation(%L, false)',
         (select id from public.client_invitations where email = 'invitee@invite.test')),
  '55000', null, 'an answered invitation cannot be answered again');
reset role;

select is(
  (select array_agg(action || ':' || coalesce(actor_id::text, '-') order by id)
   from public.audit_events
   where client_id = 'aaaaaaaa-0000-4000-8000-000000000000'
     and action in ('invitation.created', 'member.set', 'invitation.accepted')
     and (after ->> 'email' = 'invitee@invite.test'
          or after ->> 'user_id' = 'd0000000-0000-4000-8000-000000000001')),
  array['invitation.created:a0000000-0000-4000-8000-000000000001',
        'member.set:d0000000-0000-4000-8000-000000000001',
        'invitation.accepted:d0000000-0000-4000-8000-000000000001'],
  'invitation, membership and acceptance are audited with their actors');

-- Revoked: the owner withdraws the other one.
select pg_temp.act_as('a0000000-0000-4000-8000-000000000001', 'owner@invite.test');
select is(
  (select revoked_at is not null from public.revoke_client_invitation(
     (select id from public.client_invitations where email = 'nobody@invite.test'))),
  true, 'the owner revokes an open invitation');
reset role;

select * from finish();
rollback;
