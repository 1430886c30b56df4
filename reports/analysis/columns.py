"""Column names shared by the pure analysis modules and their callers."""

# Time and value
PERIOD_START = "period_start"
PERIOD_END = "period_end"
VALUE = "value"

# SPC (XmR) chart
MEAN = "mean"
UPPER_LIMIT = "upper_limit"
LOWER_LIMIT = "lower_limit"
UPPER_2SIGMA = "upper_2sigma"
LOWER_2SIGMA = "lower_2sigma"
MOVING_RANGE = "moving_range"
SIGNAL = "signal"
RULES = "rules"
PROVISIONAL = "provisional"
SEGMENT = "segment"
BASELINE = "baseline"

# Areas, counts and populations
AREA_CODE = "area_code"
NAME = "name"
COUNT = "count"
POPULATION = "population"
MID_YEAR = "mid_year"
POPULATION_MID_YEAR = "population_mid_year"
PERIODS_COVERED = "periods_covered"
COMPLETE = "complete"

# Most Similar Group comparison
RATE_PER_1000 = "rate_per_1000"
RANK = "rank"
POSITION = "position"
INCLUDED = "included"

# Surveys
RESPONDENTS = "respondents"
CI_LOW = "ci_low"
CI_HIGH = "ci_high"
