"""Matching: vendors, purchase orders and duplicates; pure functions over pandas DataFrames.

Public API (stable; the workflow, console and notebooks call these, column contracts are in each
module's docstring):

* ``profile.MatchProfile`` - versioned, JSON-serializable thresholds, weights and tolerances.
* ``matcher.match_vendors(queries, reference | VendorIndex, profile, top=5)`` - one decision
  row per query (auto / review / reject, reason, candidates); ``matcher.decide_vendor(extraction
  or row, ...)`` for one invoice; ``matcher.extraction_to_query(extraction, id)`` adapter.
* ``index.VendorIndex(reference, aliases=None)`` - build once per vendor master, reuse for every
  batch; ``aliases.expand_aliases`` turns alternate names, VAT ids and IBANs into exact keys.
* ``scoring.thefuzz_cdist / thefuzz_pairs / thefuzz_extract_one`` - thefuzz-identical scores.
* ``normalize.normalize_name / normalize_frame`` - the name normalization.
* ``purchase_orders.match_purchase_orders(...)`` - 2-way / 3-way with typed ``POException``.
* ``duplicates.find_duplicates(invoices, profile)`` - three tiers with reasons.
* ``evaluation.metrics_at / sweep / outcome_table / recommend_profile / explain`` and
  ``tuning.tune_profile`` - figures per threshold and margin, and profile recommendation with
  its certainty (``certainty``: interval, proof at a confidence, examples still needed).
* ``cli`` - ``python -m core match`` and ``python -m core tune``.
"""
