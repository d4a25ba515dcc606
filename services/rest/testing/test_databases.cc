#include "services/rest/testing/test_databases.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

namespace pfopt::rest::testing {

namespace {

std::string Random() {
  std::random_device device;
  return std::to_string(device()) + std::to_string(device() % 100000);
}

bool Admin(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  bool ok = PQstatus(conn) == CONNECTION_OK;
  if (ok) {
    PGresult* result = PQexec(conn, sql.c_str());
    ok = PQresultStatus(result) == PGRES_COMMAND_OK;
    PQclear(result);
  }
  PQfinish(conn);
  return ok;
}

std::string StateDir() {
  const char* file = std::getenv("PFOPT_TEST_PG_URL_FILE");
  if (file == nullptr) return {};
  return std::filesystem::path(file).parent_path().string();
}

int Script(const std::string& action) {
  const std::string command =
      "bash " PFOPT_SOURCE_DIR "/tests/integration/pg_cluster.sh " + action + " " + StateDir();
  return std::system(command.c_str());
}

}  // namespace

bool TestDatabase::PostgresRequired() {
  const char* required = std::getenv("PFOPT_TEST_REQUIRE_PG");
  return required != nullptr && std::string(required) == "1";
}

TestDatabase::TestDatabase(const std::string& backend) : backend_(backend) {
  if (backend == "sqlite") {
    folder_ = (std::filesystem::temp_directory_path() / ("pfopt-test-" + Random())).string();
    url_ = "sqlite:" + folder_ + "/service.db";
    return;
  }
  const char* file = std::getenv("PFOPT_TEST_PG_URL_FILE");
  if (file == nullptr) {
    reason_ = "PFOPT_TEST_PG_URL_FILE is not set (CTest's postgres fixture sets it)";
    return;
  }
  std::ifstream in(file);
  if (!(in >> admin_url_)) {
    reason_ = std::string("cannot read ") + file;
    return;
  }
  database_ = "pfopt_test_" + Random();
  if (!Admin(admin_url_, "CREATE DATABASE " + database_)) {
    reason_ = "cannot create a database at " + admin_url_;
    return;
  }
  url_ = admin_url_.substr(0, admin_url_.rfind('/') + 1) + database_;
}

TestDatabase::~TestDatabase() {
  if (!folder_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(folder_, ignored);
  }
  if (!database_.empty())
    Admin(admin_url_, "DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)");
}

bool TestDatabase::Pause() { return backend_ == "postgres" && Script("pause") == 0; }
bool TestDatabase::Resume() { return backend_ == "postgres" && Script("resume") == 0; }

}  // namespace pfopt::rest::testing
