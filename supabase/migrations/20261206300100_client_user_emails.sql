-- Who approved, decided or changed something, by e-mail (issue 13: exports and the audit trail
-- showed user ids). auth.users is not readable by users, so a definer function answers for one
-- client at a time: a member of that client gets the addresses of the given users who are its
-- members or who acted on its data (an audit event of the client names them as actor), and
-- nothing about anyone else.

create or replace function public.client_user_emails(p_client_id uuid, p_user_ids uuid[])
returns table (user_id uuid, email text)
language sql
stable
security definer
set search_path = ''
as $$
  select u.id, u.email::text
    from auth.users u
   where p_client_id in (select public.member_client_ids())
     and u.id = any (p_user_ids)
     and cardinality(p_user_ids) <= 10000
     and u.email is not null
     and (exists (select 1 from public.client_members m
                   where m.client_id = p_client_id and m.user_id = u.id)
          or exists (select 1 from public.audit_events e
                      where e.client_id = p_client_id and e.actor_id = u.id))
$$;

revoke all on function public.client_user_emails(uuid, uuid[]) from public, anon;
grant execute on function public.client_user_emails(uuid, uuid[]) to authenticated;
