-- The private "invoices" bucket and its policies. Keys are <client_id>/<yyyy>/<mm>/<dd>/<file>;
-- the first folder decides the tenant. Members read; owners and operators upload, replace and
-- delete; viewers and analysts are read-only; anon and non-members get nothing.

insert into storage.buckets (id, name, public)
values ('invoices', 'invoices', false)
on conflict (id) do nothing;

-- On Supabase these privileges already exist (granted by the storage service); locally the
-- bootstrap grants nothing, so grant them here, only where missing.
do $$
begin
  if not has_table_privilege('authenticated', 'storage.objects', 'select, insert, update, delete') then
    grant select, insert, update, delete on table storage.objects to authenticated;
  end if;
  if not has_table_privilege('service_role', 'storage.objects', 'select, insert, update, delete') then
    grant select, insert, update, delete on table storage.objects to service_role;
  end if;
  if not has_table_privilege('authenticated', 'storage.buckets', 'select') then
    grant select on table storage.buckets to authenticated;
  end if;
  if not has_table_privilege('service_role', 'storage.buckets', 'select, insert, update, delete') then
    grant select, insert, update, delete on table storage.buckets to service_role;
  end if;
end
$$;

create policy invoices_bucket_visible on storage.buckets for select to authenticated
  using (id = 'invoices');

create policy invoices_objects_select on storage.objects for select to authenticated
  using (bucket_id = 'invoices' and public.has_client_role(public.storage_client_id(name)));
create policy invoices_objects_insert on storage.objects for insert to authenticated
  with check (
    bucket_id = 'invoices'
    and public.has_client_role(public.storage_client_id(name), '{owner,operator}')
  );
create policy invoices_objects_update on storage.objects for update to authenticated
  using (
    bucket_id = 'invoices'
    and public.has_client_role(public.storage_client_id(name), '{owner,operator}')
  )
  with check (
    bucket_id = 'invoices'
    and public.has_client_role(public.storage_client_id(name), '{owner,operator}')
  );
create policy invoices_objects_delete on storage.objects for delete to authenticated
  using (
    bucket_id = 'invoices'
    and public.has_client_role(public.storage_client_id(name), '{owner,operator}')
  );
