// Databases for the service's tests: a fresh SQLite file in a temporary folder, or a fresh
// database in the throwaway PostgreSQL cluster that CTest starts (tests/integration/
// pg_cluster.sh; its URL file is named by PFOPT_TEST_PG_URL_FILE).
#ifndef PFOPT_SERVICES_REST_TESTING_TEST_DATABASES_H_
#define PFOPT_SERVICES_REST_TESTING_TEST_DATABASES_H_

#include <string>

namespace pfopt::rest::testing {

class TestDatabase {
 public:
  // backend: "sqlite" or "postgres". For postgres, url() is empty when no cluster is
  // configured (see available()).
  explicit TestDatabase(const std::string& backend);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  bool available() const { return !url_.empty(); }
  // Why it is not available (for GTEST_SKIP / FAIL).
  const std::string& reason() const { return reason_; }
  // True if the test run demands PostgreSQL (PFOPT_TEST_REQUIRE_PG=1): a missing cluster is a
  // failure, not a skip.
  static bool PostgresRequired();
  const std::string& url() const { return url_; }
  // Stops / restarts the cluster (PostgreSQL only): outage tests.
  bool Pause();
  bool Resume();

 private:
  std::string backend_;
  std::string url_;
  std::string admin_url_;
  std::string database_;
  std::string folder_;
  std::string reason_;
};

}  // namespace pfopt::rest::testing

#endif  // PFOPT_SERVICES_REST_TESTING_TEST_DATABASES_H_
