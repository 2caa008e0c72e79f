# crm_fdw: PostgreSQL foreign data wrapper for CRM APIs (PGXS build)

MODULE_big = crm_fdw
OBJS = \
	crm_fdw.o \
	src/answer.o \
	src/calls.o \
	src/compose.o \
	src/connection.o \
	src/ddl.o \
	src/direct_modify.o \
	src/http.o \
	src/import.o \
	src/json_datum.o \
	src/lookup.o \
	src/modify.o \
	src/option.o \
	src/paging.o \
	src/plan.o \
	src/provider.o \
	src/providers/amocrm.o \
	src/providers/pipedrive.o \
	src/providers/salesman.o \
	src/pushdown.o \
	src/request.o \
	src/rowset.o \
	src/scan.o \
	src/stats.o \
	src/write.o

EXTENSION = crm_fdw
DATA = crm_fdw--1.0.sql crm_fdw--1.0--1.1.sql
PGFILEDESC = "crm_fdw - foreign data wrapper for CRM APIs"

# pg_regress runs these in order, one session each, against the emulator
REGRESS = setup upgrade options mistakes import pipedrive_read types paging pushdown filters joins costs request_log writes encoding errors amocrm_read amocrm_pushdown api_faults amocrm_writes salesman_read salesman_writes write_outcomes
REGRESS_OPTS = --load-extension=plpgsql

PG_CONFIG ?= pg_config
PKG_CONFIG ?= pkg-config

PG_CPPFLAGS = -I$(srcdir)/src $(shell $(PKG_CONFIG) --cflags libcurl jansson)
# warnings are errors: a warning today is a bug report tomorrow (make
# WERROR= to build with a compiler other than the one PostgreSQL was built with)
WERROR ?= -Werror
PG_CFLAGS = $(WERROR) -Wextra -Wno-unused-parameter -Wno-sign-compare \
	-Wno-missing-field-initializers
SHLIB_LINK = $(shell $(PKG_CONFIG) --libs libcurl jansson)

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies; every object depends on every header
$(OBJS): $(wildcard $(srcdir)/src/*.h)

clean: clean-providers
clean-providers:
	rm -f src/providers/*.o src/providers/*.bc

# the test list, for test/run_tests.sh
print-regress:
	@echo $(REGRESS)
