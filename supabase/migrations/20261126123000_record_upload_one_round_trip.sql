-- record_upload, second shape: the whole upload in one statement, so the API sends claims,
-- this call and the commit as one pipeline (one network round trip per file).
--
-- Compared with 20261126120000_upload_in_one_transaction.sql it also
--   * checks the caller's role first and answers 'not_member' / 'forbidden' (with the role)
--     instead of the separate role query the API ran before;
--   * records the storage.objects row of a file store that keeps its metadata here (the local
--     store passes it as p_storage_object; Supabase Storage records its own, so null), after
--     the duplicate check, so a duplicate writes nothing at all.
-- Still security invoker: every insert passes the same RLS policies as single statements would.

drop function if exists public.record_upload(
  uuid, uuid, boolean, text, integer, text, text, text, text, bigint, text, jsonb, boolean
);

create or replace function public.record_upload(
  p_client_id uuid,
  p_batch_id uuid,
  p_new_batch boolean,
  p_batch_name text,
  p_file_count integer,
  p_bucket text,
  p_object_key text,
  p_original_name text,
  p_content_type text,
  p_size_bytes bigint,
  p_sha256 text,
  p_audit_meta jsonb,
  p_enqueue boolean,
  p_storage_object jsonb default null
)
returns table (outcome text, invoice_id uuid, file_id uuid, role text)
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_role text;
  v_file uuid;
  v_invoice uuid;
  v_status text;
begin
  select m.role::text
    into v_role
    from public.client_members m
   where m.client_id = p_client_id
     and m.user_id = (select auth.uid());
  if v_role is null then
    return query select 'not_member'::text, null::uuid, null::uuid, null::text;
    return;
  end if;
  if v_role not in ('owner', 'operator') then
    return query select 'forbidden'::text, null::uuid, null::uuid, v_role;
    return;
  end if;

  select f.id, i.id
    into v_file, v_invoice
    from public.files f
    left join public.invoices i on i.file_id = f.id
   where f.client_id = p_client_id
     and f.sha256 = p_sha256
   limit 1;
  if v_file is not null then
    return query select 'duplicate'::text, v_invoice, v_file, v_role;
    return;
  end if;

  if p_storage_object is not null then
    insert into storage.objects (bucket_id, name, owner, owner_id, metadata, version)
    values (
      p_storage_object ->> 'bucket_id',
      p_storage_object ->> 'name',
      (p_storage_object ->> 'owner')::uuid,
      p_storage_object ->> 'owner',
      p_storage_object -> 'metadata',
      p_storage_object ->> 'version'
    );
  end if;

  if p_new_batch then
    insert into public.batches (id, client_id, name, file_count, status)
    values (p_batch_id, p_client_id, p_batch_name, p_file_count, 'processing');
  end if;

  insert into public.files (client_id, bucket, object_key, original_name, content_type,
                            size_bytes, sha256)
  values (p_client_id, p_bucket, p_object_key, p_original_name, p_content_type, p_size_bytes,
          p_sha256)
  returning id into v_file;

  insert into public.invoices (client_id, file_id, batch_id)
  values (p_client_id, v_file, p_batch_id)
  returning id, status into v_invoice, v_status;

  insert into public.audit_events (client_id, invoice_id, action, after, meta)
  values (
    p_client_id,
    v_invoice,
    'invoice.uploaded',
    jsonb_build_object('status', v_status, 'file_id', v_file::text, 'sha256', p_sha256),
    coalesce(p_audit_meta, '{}'::jsonb)
  );

  if p_enqueue then
    perform public.enqueue_invoice_processing(v_invoice);
  end if;

  return query select 'accepted'::text, v_invoice, v_file, v_role;
end;
$$;

revoke all on function public.record_upload(
  uuid, uuid, boolean, text, integer, text, text, text, text, bigint, text, jsonb, boolean, jsonb
) from public, anon;
grant execute on function public.record_upload(
  uuid, uuid, boolean, text, integer, text, text, text, text, bigint, text, jsonb, boolean, jsonb
) to authenticated;
