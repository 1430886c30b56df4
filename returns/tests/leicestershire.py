"""Codes the Leicestershire plan fixture (fixtures/plan_leicestershire_2014.yaml) gives its submitters and areas."""

FORCE_SUBMITTER = "leicestershire-police"  # the force's data.police.uk name, slugged (returns.reference)
FORCE = "E23000021"
# CSP areas by their own GSS codes (E22); the district (LAD) codes that name them in returns.
BLABY, CHARNWOOD, HARBOROUGH, LEICESTER = "E22000164", "E22000165", "E22000166", "E22000168"
NORTH_WEST, OADBY, RUTLAND = "E22000170", "E22000171", "E22000172"
BLABY_DISTRICT = "E07000129"
