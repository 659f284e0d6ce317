-- One enqueue path: public.enqueue_invoice_processing defers through procrastinate's own
-- procrastinate_defer_jobs_v1 instead of inserting into procrastinate_jobs itself.
--
-- Before this, the job was written twice over: by this function's raw insert into
-- procrastinate's private table (uploads) and by procrastinate's Python API (retries, orphan
-- requeue), with two different fairness rules. Now every job of the product is queued by this
-- one door, in the caller's transaction: the upload (public.record_upload), a retry
-- (core.workflow.review) and the orphan requeue (core.jobs.queue, acting as the uploader).
-- Our SQL no longer writes to procrastinate's tables; procrastinate's function does, so its
-- schema can change under it (a new column, a trigger) without this function knowing.
--
-- Unchanged: the checks (only an invoice still in 'received', only by an owner or operator of
-- its client), the job's shape (task, queue, lock and queueing lock 'invoice:<id>', the
-- uploader recorded at enqueue as user_id) and the fairness rule: priority = minus the client's
-- invoices waiting or in processing, so one client's big batch interleaves with another
-- client's single upload. A job already waiting for the invoice (its queueing lock) is not an
-- error: null is returned, as before.

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
  v_jobs bigint[];
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

  begin
    v_jobs := public.procrastinate_defer_jobs_v1(array[
      row(
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
        ),
        null
      )::public.procrastinate_job_to_defer_v1
    ]);
  exception when unique_violation then
    return null;  -- a job for this invoice is already waiting (its queueing lock)
  end;
  return v_jobs[1];
end;
$$;

revoke all on function public.enqueue_invoice_processing(uuid) from public, anon;
grant execute on function public.enqueue_invoice_processing(uuid) to authenticated;
