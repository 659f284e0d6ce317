-- IMAP mailboxes (issue 17, item 4): owners manage them through doors; each has a service
-- principal (operator) that alone writes its seen store and message log; the password's
-- ciphertext is readable by no user.
begin;
select plan(10);

insert into auth.users (id, email, aud, role, email_confirmed_at) values
  ('a4000000-0000-4000-8000-000000000001', 'owner@mail.test', 'authenticated', 'authenticated', now()),
  ('a4000000-0000-4000-8000-000000000002', 'operator@mail.test', 'authenticated', 'authenticated', now()),
  ('b4000000-0000-4000-8000-000000000001', 'owner-b@mail.test', 'authenticated', 'authenticated', now());
insert into public.clients (id, name, created_by) values
  ('aaaaaaaa-4000-4000-8000-000000000000', 'Client A', 'a4000000-0000-4000-8000-000000000001'),
  ('bbbbbbbb-4000-4000-8000-000000000000', 'Client B', 'b4000000-0000-4000-8000-000000000001');
insert into public.client_members (client_id, user_id, role) values
  ('aaaaaaaa-4000-4000-8000-000000000000', 'a4000000-0000-4000-8000-000000000002', 'operator');

create function pg_temp.act_as(p_user uuid) returns void language sql as $$
  select set_config('role', 'authenticated', true),
         set_config('request.jwt.claims',
                    json_build_object('sub', p_user, 'role', 'authenticated')::text, true);
$$;

select pg_temp.act_as('a4000000-0000-4000-8000-000000000001');
create temp table box on commit drop as
  select * from public.create_mailbox('aaaaaaaa-4000-4000-8000-000000000000', 'AP', 'imap.example.com',
    993, 'ssl', 'ap@example.com', 'ciphertext-of-the-password', 'INBOX', 'Done', 'Failed', 60);
select throws_ok('select password_ciphertext from public.mailboxes', '42501', null,
  'the owner cannot read the password''s ciphertext');
select is((select m.role::text from public.client_members m join box b on b.principal_id = m.user_id),
  'operator', 'the mailbox''s principal is an operator of the client');
select throws_ok(format($$insert into public.mailbox_seen (client_id, mailbox_id, key, value)
                          values ('aaaaaaaa-4000-4000-8000-000000000000', %L, 'msg:x', 'processed')$$,
                        (select id from box)),
  '42501', null, 'the owner cannot write the mailbox''s seen store');
reset role;

select pg_temp.act_as((select principal_id from box));
select lives_ok(format($$insert into public.mailbox_seen (client_id, mailbox_id, key, value)
                         values ('aaaaaaaa-4000-4000-8000-000000000000', %L, 'msg:x', 'processed')$$,
                       (select id from box)), 'the principal writes its seen store');
select lives_ok(format($$insert into public.mailbox_messages (client_id, mailbox_id, message_key, outcome)
                         values ('aaaaaaaa-4000-4000-8000-000000000000', %L, 'x', 'failed')$$,
                       (select id from box)), '... and its message log');
reset role;

select pg_temp.act_as('a4000000-0000-4000-8000-000000000002');
select is((select count(*)::int from public.mailbox_messages), 1, 'an operator reads the log');
select throws_ok(format('select public.delete_mailbox(%L)', (select id from box)), '42501', null,
  'an operator cannot delete a mailbox');
reset role;
select pg_temp.act_as('b4000000-0000-4000-8000-000000000001');
select is_empty('select id from public.mailboxes', 'another client''s owner sees no mailbox');
reset role;

select pg_temp.act_as('a4000000-0000-4000-8000-000000000001');
select lives_ok(format('select public.delete_mailbox(%L)', (select id from box)), 'the owner deletes it');
reset role;
select is((select count(*)::int from public.client_members m join box b on b.principal_id = m.user_id),
  0, 'its principal is no member any more');

select * from finish();
rollback;
