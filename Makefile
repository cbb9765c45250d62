# The two commands a newcomer needs:  make tutorial   and   make test
# Both bootstrap .venv on a fresh machine.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# nbval on the notebooks: a fresh local backend per run (hostlab.tutorial.pytest_notebooks), outputs compared after
# tests/nbval_sanitize.cfg
NBVAL  := -p hostlab.tutorial.pytest_notebooks --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
# pytest-xdist workers for the unit and conformance tests. Each worker starts its own local backend
# (tests/conftest.py), and most tests spend their time waiting on sockets and short simulated delays, so more
# workers than cores still helps: benchmarks/bench_test_suite.py measures the whole of `make test`. On 2 cores,
# the unit tests alone took 141 s with 3 workers (--dist load), 134 s with 3 and 118-125 s with 4 workers
# (--dist worksteal: an idle worker takes tests queued on a busy one, so one long file no longer ends the run
# alone), 132 s with 5, 146 s with 6 (more backends than the cores can serve).
TEST_WORKERS ?= 4
TEST_DIST ?= worksteal
# Each track runs under nbval as a re-run sequence on ONE fresh backend, every run's outputs compared with
# the committed ones: 01 and 02 run again in new kernels, 04 again in the kernel of the first 04 (likewise
# 11-15 for ECS Express Mode). The cleanup notebook's committed output then also says that exactly one of each
# resource was left to delete, and none after; 06 and 07 follow the App Runner cleanup, as in a first run.
APPRUNNER_SEQUENCE := 01-create-service 02-attach-cloudfront 02-attach-cloudfront 01-create-service \
	03-what-breaks 04-fixes 04-fixes 05-cleanup 06-policy-matrix 07-costs
EXPRESS_SEQUENCE := 11-express-create-service 12-express-attach-cloudfront 12-express-attach-cloudfront \
	11-express-create-service 13-express-what-breaks 14-express-fixes 14-express-fixes 15-express-cleanup
# The test run compiles the project's modules once: where PYTHONDONTWRITEBYTECODE is set (CI machines often
# set it), every Python process of the run (pytest workers, kernels, backends, scripts) would compile src/
# and tests/ again, and pytest would rewrite every test module's asserts again. __pycache__ is git-ignored.
unexport PYTHONDONTWRITEBYTECODE
# make test runs its three parts at once (they wait on sockets more than they compute); GNU make 4 prints
# each part's output in one piece when it ends (macOS's make 3.81 interleaves them).
OUTPUT_SYNC := $(if $(filter output-sync,$(.FEATURES)),--output-sync=target)

.PHONY: tutorial test test-unit test-notebooks test-notebooks-apprunner test-notebooks-express test-aws rehearse-aws test-moto measure lint notebooks bench clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

## make tutorial: run notebooks 01 -> 05 on a fresh local backend into build/tutorial/, print what happened,
## and render the site when quarto is on PATH (the committed notebooks stay unchanged)
tutorial: $(STAMP)
	$(BIN)/python -m hostlab.tutorial

## make test: lint, then at the same time: the unit and conformance tests (test-unit) and each track's
## notebooks under nbval, run again as a reader would (test-notebooks-apprunner, test-notebooks-express)
test: $(STAMP)
	$(BIN)/ruff check .
	$(MAKE) --no-print-directory -j3 $(OUTPUT_SYNC) test-unit test-notebooks-apprunner test-notebooks-express

test-unit: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist $(TEST_DIST)

# Two tracks, each on a fresh backend of its own (the seeded IDs of each track's saved outputs start from a
# fresh backend): App Runner (01-07) and ECS Express Mode (11-15).
test-notebooks: test-notebooks-apprunner test-notebooks-express

test-notebooks-apprunner: $(STAMP)
	$(BIN)/python -m pytest $(NBVAL) --keep-duplicates --hostlab-same-kernel=04-fixes \
		$(foreach n,$(APPRUNNER_SEQUENCE),notebooks/$(n).ipynb)

test-notebooks-express: $(STAMP)
	$(BIN)/python -m pytest $(NBVAL) --keep-duplicates --hostlab-same-kernel=14-express-fixes \
		$(foreach n,$(EXPRESS_SEQUENCE),notebooks/$(n).ipynb)

## make test-aws: notebooks 01 -> 05 against a sandbox account, same checks (needs HOSTLAB_AWS_ACCOUNT; see
## README "The tutorial notebooks"). Tagged leftovers are deleted before and after, also when a cell fails.
## make test-aws TRACK=express: notebooks 11 -> 15 (ECS Express Mode) alone, for an account without App Runner;
## TRACK=both runs both tracks. Same guard, tags, cleanup and printed cost (HOSTLAB_TRACK tells the plugin).
## make test-aws REHEARSAL=1 (= make rehearse-aws): the same aws code paths against a fresh local backend
## (hostlab.tutorial.rehearsal): no account, AWS's waiter settings with shortened delays.
REHEARSAL ?= $(HOSTLAB_AWS_REHEARSAL)
TRACK ?= apprunner
TRACK_NOTEBOOKS_apprunner := notebooks/01-*.ipynb notebooks/02-*.ipynb notebooks/03-*.ipynb notebooks/04-*.ipynb \
	notebooks/05-*.ipynb
TRACK_NOTEBOOKS_express := notebooks/11-express-*.ipynb notebooks/12-express-*.ipynb notebooks/13-express-*.ipynb \
	notebooks/14-express-*.ipynb notebooks/15-express-*.ipynb
TRACK_NOTEBOOKS_both := $(TRACK_NOTEBOOKS_apprunner) $(TRACK_NOTEBOOKS_express)
test-aws: $(STAMP)
	HOSTLAB_BACKEND=aws HOSTLAB_AWS_REHEARSAL=$(if $(filter 1,$(REHEARSAL)),1,0) HOSTLAB_TRACK=$(TRACK) \
		$(BIN)/python -m pytest $(NBVAL) --nbval-cell-timeout=3600 --timeout=3600 \
		$(or $(TRACK_NOTEBOOKS_$(TRACK)),notebooks/unknown-track-$(TRACK))

## make test-moto: moto's own CloudFront and ACM tests, from the sdist of the pinned moto (downloaded once into
## build/moto-peer/), against a dedicated local backend; fails on any failure not listed with its AWS source in
## tests/moto_peer/divergences.toml, and on a listed test that passes
test-moto: $(STAMP)
	$(BIN)/python tests/moto_peer/runner.py

## make rehearse-aws: the aws tier's dress rehearsal on a fresh local backend (see test-aws)
rehearse-aws:
	$(MAKE) test-aws REHEARSAL=1

## make measure: probe every assumption setting (hostlab measure). Local backend by default (a self-test,
## into build/measure/); with HOSTLAB_BACKEND=aws a measurement into calibrations/ (README "Measuring the
## assumptions on AWS"): it prints its cost and duration and asks before creating anything.
measure: $(STAMP)
	$(BIN)/hostlab measure

## make notebooks: re-execute every notebook in place on a fresh local backend (deterministic outputs)
notebooks: $(STAMP)
	$(BIN)/python -m hostlab.tutorial.notebook_runner

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	-$(BIN)/hostlab down
	rm -rf build _site .quarto
