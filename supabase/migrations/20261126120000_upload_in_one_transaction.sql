-- An upload recorded in one transaction and (almost) one round trip: batch, file, invoice, audit
-- event and processing job. Part 1 queues the job; part 2 records the upload.
--
-- Part 1: queue an uploaded invoice for processing inside the upload's own transaction.
--
-- Before this, an upload committed its rows and then deferred the job through procrastinate's
-- own connection: two commits per file and a window in which a crash left an invoice without a
-- job (swept up later by the orphan requeue). This function inserts the job as part of the
-- caller's transaction, so the invoice and its job commit or roll back together.
--
-- Signed-in users have no rights on the job tables (they are infrastructure); this function is
-- the one narrow door: it queues only the processing task, only for an invoice still in
-- 'received' of a client where the caller is an owner or operator, and it builds the job's
-- arguments itself (the worker acts as auth.uid(), the uploader). The task name, queue and lock
-- format match core/jobs/queue.py (JobQueue.enqueue) so either path yields the same job.
-- Priority: minus the client's invoices waiting or in processing (per-client fairness).
-- Returns the job id, or null when a job for the invoice is already waiting.

create or replace function public.enqueue_invoice_processing(p_invoice_id uuid)
returns bigint
language plpgsql
volatile
security definer
-- Not '': procrastinate's insert triggers name their tables unqualified. Every name below is
-- qualified anyway; pg_temp last so no temporary object can shadow anything.
set search_path = public, pg_temp
as $$
declare
  v_client uuid;
  v_batch uuid;
  v_pending integer;
  v_lock text := 'invoice:' || p_invoice_id::text;
  v_job bigint;
begin
  select i.client_id, i.batch_id
    into v_client, v_batch
    from public.invoices i
   where i.id = p_invoice_id
     and i.status = 'received'
     and i.client_id in (
       select public.member_client_ids(array['owner', 'operator']::public.member_role[])
     );
  if v_client is null then
    raise exception 'invoice % cannot be queued by this user', p_invoice_id
      using errcode = '42501';
  end if;

  select count(*)
    into v_pending
    from public.invoices i
   where i.client_id = v_client
     and i.status in ('received', 'extracting');

  insert into public.procrastinate_jobs (queue_name, task_name, priority, lock, queueing_lock, args)
  values (
    'invoices',
    'invoiceflow.process_invoice',
    -v_pending,
    v_lock,
    v_lock,
    jsonb_build_object(
      'invoice_id', p_invoice_id::text,
      'client_id', v_client::text,
      'user_id', (select auth.uid())::text,
      'batch_id', v_batch::text
    )
  )
  on conflict do nothing
  returning id into v_job;
  return v_job;
end;
$$;

revoke all on function public.enqueue_invoice_processing(uuid) from public, anon;
grant execute on function public.enqueue_invoice_processing(uuid) to authenticated;

-- Part 2: record one uploaded file for the signed-in user: security invoker, so every insert
-- below passes the same RLS policies as the single statements it replaces (core/workflow/
-- uploads.py calls it after the storage row is written in the same transaction). Returns
-- 'duplicate' with the existing ids when the client already has these bytes (nothing written),
-- else 'accepted' with the new ids. p_new_batch: this file's transaction also creates the batch.

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
  p_enqueue boolean
)
returns table (outcome text, invoice_id uuid, file_id uuid)
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_file uuid;
  v_invoice uuid;
  v_status text;
begin
  select f.id, i.id
    into v_file, v_invoice
    from public.files f
    left join public.invoices i on i.file_id = f.id
   where f.client_id = p_client_id
     and f.sha256 = p_sha256
   limit 1;
  if v_file is not null then
    return query select 'duplicate'::text, v_invoice, v_file;
    return;
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

  return query select 'accepted'::text, v_invoice, v_file;
end;
$$;

revoke all on function public.record_upload(
  uuid, uuid, boolean, text, integer, text, text, text, text, bigint, text, jsonb, boolean
) from public, anon;
grant execute on function public.record_upload(
  uuid, uuid, boolean, text, integer, text, text, text, text, bigint, text, jsonb, boolean
) to authenticated;
