-- The alias store's changes are audited by a trigger, and users insert only the columns that say
-- what the alias is (id, created_by and created_at are the database's).
--
-- Each added or removed alias writes `vendor.alias_added` / `vendor.alias_removed` with who
-- (`actor_id`), the alias (kind, value, source) and its vendor, the same way vendors' bank details
-- are audited (20261206100100_tenancy_integrity.sql). A removal that comes with its client's
-- deletion writes nothing (the client's audit trail goes with it).

create or replace function public.audit_vendor_alias_change() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    insert into public.audit_events (client_id, actor_id, action, after, meta)
    values (new.client_id, (select auth.uid()), 'vendor.alias_added',
            jsonb_build_object('kind', new.kind, 'value', new.value, 'source', new.source),
            jsonb_build_object('vendor_id', new.vendor_id, 'alias_id', new.id));
  elsif exists (select 1 from public.clients c where c.id = old.client_id) then
    insert into public.audit_events (client_id, actor_id, action, before, meta)
    values (old.client_id, (select auth.uid()), 'vendor.alias_removed',
            jsonb_build_object('kind', old.kind, 'value', old.value, 'source', old.source,
                               'created_by', old.created_by, 'created_at', old.created_at),
            jsonb_build_object('vendor_id', old.vendor_id, 'alias_id', old.id));
  end if;
  return null;
end
$$;
revoke all on function public.audit_vendor_alias_change() from public, anon, authenticated;
create trigger vendor_aliases_audit after insert or delete on public.vendor_aliases
  for each row execute function public.audit_vendor_alias_change();

revoke insert on table public.vendor_aliases from authenticated;
grant insert (client_id, vendor_id, kind, value, normalized, source)
  on table public.vendor_aliases to authenticated;
