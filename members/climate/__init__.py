"""Climate data from outside sources: the Net Zero Tracker and the UNFCCC NDC registry.

- ``countries``: one resolver for ISO 3166 alpha-2, alpha-3 and country names, wherever a country is read;
- ``csvsniff``: the spreadsheet reader (delimiter, BOM, group-header rows above the header);
- ``tracker``: the tracker's labels mapped to ours, its rows turned into commitments, the import service;
- ``ndc``: the NDC registry list imported as ``NdcSubmission`` rows;
- ``discrepancies``: where an outside source disagrees with a recorded commitment (raise, accept, keep ours);
- ``integrity``: the integrity summary of a commitment;
- ``selectors``, ``api``, ``views``, ``tasks``: reads, the API, staff pages and the weekly refresh.
"""
