-- Export jobs (issue 17, item 5): a large export is a job that produces a file, so the
-- 50,000-invoice cap of the synchronous export goes.
--
-- public.create_export_job(client, format, params) records the request and queues its job (queue
-- 'exports', procrastinate_defer_jobs_v1) in the caller's transaction; the worker runs it as the
-- requester (RLS decides what is exported; an export is a read and marks nothing: marking is
-- POST /exports/mark-exported) and stores the file in public.export_files. A job and its file belong to whoever asked for it
-- (created_by = auth.uid() in every policy) and are deleted 7 days later by the worker's
-- maintenance task.

create table public.export_jobs (
  id uuid primary key default gen_random_uuid(),
  created_by uuid not null default auth.uid() references auth.users (id) on delete cascade,
  client_id uuid references public.clients (id) on delete cascade,
  format text not null check (format in ('csv', 'xlsx', 'json', 'xero_bills')),
  params jsonb not null default '{}'::jsonb check (octet_length(params::text) <= 16384),
  status text not null default 'queued'
    check (status in ('queued', 'running', 'succeeded', 'failed')),
  error text check (char_length(error) <= 500),
  row_count integer,
  file_name text check (char_length(file_name) <= 255),
  content_type text,
  size_bytes bigint,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  expires_at timestamptz not null default now() + interval '7 days'
);
create index export_jobs_creator_idx on public.export_jobs (created_by, created_at desc);
create index export_jobs_expires_idx on public.export_jobs (expires_at);

create table public.export_files (
  job_id uuid primary key references public.export_jobs (id) on delete cascade,
  created_by uuid not null default auth.uid() references auth.users (id) on delete cascade,
  data bytea not null
);

alter table public.export_jobs enable row level security;
alter table public.export_jobs force row level security;
alter table public.export_files enable row level security;
alter table public.export_files force row level security;
revoke all on table public.export_jobs, public.export_files
  from public, anon, authenticated, service_role;
grant select on table public.export_jobs to authenticated;
grant update (status, error, row_count, file_name, content_type, size_bytes, started_at,
              finished_at) on table public.export_jobs to authenticated;
grant select, insert, update (data) on table public.export_files to authenticated;
grant select, delete on table public.export_jobs to service_role;
grant select, delete on table public.export_files to service_role;

create policy export_jobs_select on public.export_jobs for select to authenticated
  using (created_by = (select auth.uid()));
create policy export_jobs_update on public.export_jobs for update to authenticated
  using (created_by = (select auth.uid()))
  with check (created_by = (select auth.uid()));
create policy export_files_select on public.export_files for select to authenticated
  using (created_by = (select auth.uid()));
create policy export_files_insert on public.export_files for insert to authenticated
  with check (
    created_by = (select auth.uid())
    and job_id in (select j.id from public.export_jobs j where j.created_by = (select auth.uid()))
  );
create policy export_files_update on public.export_files for update to authenticated
  using (created_by = (select auth.uid()))
  with check (created_by = (select auth.uid()));

create or replace function public.create_export_job(
  p_client_id uuid, p_format text, p_params jsonb
) returns public.export_jobs
language plpgsql
volatile
security definer
-- procrastinate's insert triggers name their tables unqualified (as in enqueue_invoice_processing)
set search_path = public, pg_temp
as $$
declare
  v_job public.export_jobs;
begin
  if (select auth.uid()) is null then
    raise exception 'sign in first' using errcode = '42501';
  end if;
  if p_client_id is not null and p_client_id not in (select public.member_client_ids()) then
    raise exception 'client not found' using errcode = 'P0002';
  end if;
  insert into public.export_jobs (created_by, client_id, format, params)
  values ((select auth.uid()), p_client_id, p_format, coalesce(p_params, '{}'::jsonb))
  returning * into v_job;
  perform public.procrastinate_defer_jobs_v1(array[
    row('exports', 'invoiceflow.run_export', 0, 'export:' || v_job.id::text,
        'export:' || v_job.id::text,
        jsonb_build_object('export_job_id', v_job.id::text,
                           'user_id', (select auth.uid())::text), null
    )::public.procrastinate_job_to_defer_v1
  ]);
  return v_job;
end;
$$;

revoke all on function public.create_export_job(uuid, text, jsonb) from public, anon;
grant execute on function public.create_export_job(uuid, text, jsonb) to authenticated;
