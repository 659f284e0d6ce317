-- Multi-invoice PDFs (issue 17, item 4): one invoice per detected part, linked to the original
-- file, re-split by an operator in review.
--
-- The original upload is the parent: its file (public.files) holds every page; each invoice cut
-- from it keeps file_id and names its pages (page_from..page_to, 1-based, inclusive; null = the
-- whole file, not split). public.file_splits records every split of a file (the worker's
-- detection with its reasons, or an operator's re-split) and which invoices it made.
--
--   * public.invoice_split(invoice, parts, plan): the worker, acting as the uploader, found
--     several invoices in a file. The invoice being processed becomes the first part; one new
--     invoice per further part is created in 'received' (same file, batch and uploader) and
--     queued. Audited on the invoice ('invoice.split', with the parts and the new ids), and each
--     new invoice by the insert trigger ('invoice.uploaded').
--   * public.invoice_resplit(invoice, parts): an owner or operator sets the parts of a file by
--     hand while none of its invoices is decided or in processing: the file's invoices are
--     replaced by one new invoice per part (each queued; the old ones' deletions are audited) and
--     one 'file.resplit' event records before and after.

alter table public.invoices
  add column page_from integer,
  add column page_to integer,
  add constraint invoices_page_range check (
    (page_from is null and page_to is null)
    or (page_from >= 1 and page_to >= page_from and page_to <= 10000)
  );

create table public.file_splits (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id) on delete cascade,
  file_id uuid not null,
  source text not null check (source in ('detected', 'operator')),
  parts jsonb not null,
  plan jsonb not null default '{}'::jsonb,
  invoice_ids uuid[] not null,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  foreign key (client_id, file_id) references public.files (client_id, id) on delete cascade
);
create index file_splits_file_idx on public.file_splits (file_id, created_at desc);

alter table public.file_splits enable row level security;
alter table public.file_splits force row level security;
revoke all on table public.file_splits from public, anon, authenticated, service_role;
grant select on table public.file_splits to authenticated;
create policy file_splits_select on public.file_splits for select to authenticated
  using (client_id in (select public.member_client_ids()));

-- [[first, last], ...]: at least p_min parts, ascending, not overlapping, pages >= 1.
create or replace function public.check_split_parts(p_parts jsonb, p_min integer)
returns void
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_part jsonb;
  v_prev integer := 0;
  v_first integer;
  v_last integer;
begin
  if jsonb_typeof(p_parts) is distinct from 'array'
     or jsonb_array_length(p_parts) < p_min or jsonb_array_length(p_parts) > 500 then
    raise exception 'parts must be a list of at least % page ranges', p_min using errcode = '22023';
  end if;
  for v_part in select x from jsonb_array_elements(p_parts) x loop
    if jsonb_typeof(v_part) is distinct from 'array' or jsonb_array_length(v_part) <> 2
       or jsonb_typeof(v_part -> 0) <> 'number' or jsonb_typeof(v_part -> 1) <> 'number' then
      raise exception 'each part is [first page, last page]' using errcode = '22023';
    end if;
    v_first := (v_part ->> 0)::integer;
    v_last := (v_part ->> 1)::integer;
    if v_first <= v_prev or v_last < v_first or v_last > 10000 then
      raise exception 'parts must be ascending page ranges that do not overlap'
        using errcode = '22023';
    end if;
    v_prev := v_last;
  end loop;
end;
$$;

create or replace function public.invoice_split(
  p_invoice_id uuid, p_parts jsonb, p_plan jsonb default '{}'::jsonb
) returns uuid[]
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_invoice public.invoices;
  v_ids uuid[] := '{}';
  v_id uuid;
  i integer;
begin
  select * into v_invoice from public.invoices v
   where v.id = p_invoice_id and v.client_id in (select public.member_client_ids())
     for update;
  if not found then
    raise exception 'invoice not found' using errcode = 'P0002';
  end if;
  if v_invoice.client_id not in (
    select public.member_client_ids(array['owner', 'operator']::public.member_role[])
  ) then
    raise exception 'your role may not split invoices' using errcode = '42501';
  end if;
  if v_invoice.status <> 'extracting' or v_invoice.page_from is not null
     or v_invoice.file_id is null then
    raise exception 'only an unsplit invoice being read can be split' using errcode = '55000';
  end if;
  perform public.check_split_parts(p_parts, 2);
  for i in 1 .. jsonb_array_length(p_parts) - 1 loop
    v_ids := v_ids || gen_random_uuid();
  end loop;
  insert into public.audit_events (client_id, invoice_id, actor_id, action, before, after, meta)
  values (v_invoice.client_id, v_invoice.id, (select auth.uid()), 'invoice.split',
          jsonb_build_object('page_from', null, 'page_to', null),
          jsonb_build_object('page_from', (p_parts -> 0 ->> 0)::integer,
                             'page_to', (p_parts -> 0 ->> 1)::integer),
          jsonb_build_object('version', v_invoice.version + 1, 'door', 'invoice_split',
                             'parts', p_parts, 'invoice_ids', to_jsonb(v_ids),
                             'file_id', v_invoice.file_id));
  update public.invoices v
     set page_from = (p_parts -> 0 ->> 0)::integer, page_to = (p_parts -> 0 ->> 1)::integer
   where v.id = v_invoice.id;
  for i in 1 .. array_length(v_ids, 1) loop
    insert into public.invoices (id, client_id, file_id, batch_id, status, page_from, page_to,
                                 created_by)
    values (v_ids[i], v_invoice.client_id, v_invoice.file_id, v_invoice.batch_id, 'received',
            (p_parts -> i ->> 0)::integer, (p_parts -> i ->> 1)::integer, v_invoice.created_by);
  end loop;
  foreach v_id in array v_ids loop
    perform public.enqueue_invoice_processing(v_id);
  end loop;
  insert into public.file_splits (client_id, file_id, source, parts, plan, invoice_ids,
                                  created_by)
  values (v_invoice.client_id, v_invoice.file_id, 'detected', p_parts, coalesce(p_plan, '{}'),
          v_invoice.id || v_ids, (select auth.uid()));
  return v_ids;
end;
$$;

create or replace function public.invoice_resplit(p_invoice_id uuid, p_parts jsonb)
returns uuid[]
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_invoice public.invoices;
  v_old uuid[];
  v_blocking text;
  v_ids uuid[] := '{}';
  v_id uuid;
  i integer;
begin
  select * into v_invoice from public.invoices v
   where v.id = p_invoice_id and v.client_id in (select public.member_client_ids());
  if not found then
    raise exception 'invoice not found' using errcode = 'P0002';
  end if;
  if v_invoice.client_id not in (
    select public.member_client_ids(array['owner', 'operator']::public.member_role[])
  ) then
    raise exception 'your role may not split invoices' using errcode = '42501';
  end if;
  if v_invoice.file_id is null then
    raise exception 'the invoice has no file to split' using errcode = '55000';
  end if;
  perform public.check_split_parts(p_parts, 1);
  select array_agg(v.id order by v.page_from nulls first, v.created_at),
         string_agg(distinct v.status, ', ') filter (
           where v.status not in ('needs_review', 'auto_approved', 'failed'))
    into v_old, v_blocking
    from (select * from public.invoices x
           where x.client_id = v_invoice.client_id and x.file_id = v_invoice.file_id
             for update) v;
  if v_blocking is not null then
    raise exception 'the file''s invoices must all be in review or failed (found: %)', v_blocking
      using errcode = '55000';
  end if;
  for i in 1 .. jsonb_array_length(p_parts) loop
    v_ids := v_ids || gen_random_uuid();
  end loop;
  delete from public.invoices v where v.id = any (v_old);
  for i in 1 .. array_length(v_ids, 1) loop
    insert into public.invoices (id, client_id, file_id, batch_id, status, page_from, page_to,
                                 created_by)
    values (v_ids[i], v_invoice.client_id, v_invoice.file_id, v_invoice.batch_id, 'received',
            (p_parts -> (i - 1) ->> 0)::integer, (p_parts -> (i - 1) ->> 1)::integer,
            (select auth.uid()));
  end loop;
  foreach v_id in array v_ids loop
    perform public.enqueue_invoice_processing(v_id);
  end loop;
  insert into public.file_splits (client_id, file_id, source, parts, invoice_ids, created_by)
  values (v_invoice.client_id, v_invoice.file_id, 'operator', p_parts, v_ids,
          (select auth.uid()));
  insert into public.audit_events (client_id, actor_id, action, before, after, meta)
  values (v_invoice.client_id, (select auth.uid()), 'file.resplit',
          jsonb_build_object('invoice_ids', to_jsonb(v_old)),
          jsonb_build_object('invoice_ids', to_jsonb(v_ids), 'parts', p_parts),
          jsonb_build_object('file_id', v_invoice.file_id, 'from_invoice_id', v_invoice.id));
  return v_ids;
end;
$$;

revoke all on function public.check_split_parts(jsonb, integer) from public, anon, authenticated;
revoke all on function public.invoice_split(uuid, jsonb, jsonb) from public, anon;
grant execute on function public.invoice_split(uuid, jsonb, jsonb) to authenticated;
revoke all on function public.invoice_resplit(uuid, jsonb) from public, anon;
grant execute on function public.invoice_resplit(uuid, jsonb) to authenticated;
