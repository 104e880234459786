#include "common/metrics.hpp"

#include <gtest/gtest.h>

namespace tessera {
namespace {

TEST(Metrics, RendersPrometheusText) {
  MetricsRegistry registry;
  registry.counter("tessera_http_requests_total", "HTTP requests", {{"code", "200"}}).inc();
  registry.counter("tessera_http_requests_total", "HTTP requests", {{"code", "200"}}).inc(2);
  registry.gauge("tessera_signing_keys", "Published keys", {{"state", "current"}}).set(2);
  auto& h = registry.histogram("tessera_http_request_seconds", "Latency", {0.01, 0.1});
  h.observe(0.005);
  h.observe(0.05);
  h.observe(3);
  const auto text = registry.render();
  EXPECT_NE(text.find("# TYPE tessera_http_requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("tessera_http_requests_total{code=\"200\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("tessera_signing_keys{state=\"current\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("tessera_http_request_seconds_bucket{le=\"0.01\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("tessera_http_request_seconds_bucket{le=\"0.1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("tessera_http_request_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("tessera_http_request_seconds_count 3\n"), std::string::npos);
}

TEST(Metrics, EscapesLabelValues) {
  MetricsRegistry registry;
  registry.counter("c", "h", {{"path", "a\"b\\c\n"}}).inc();
  EXPECT_NE(registry.render().find("c{path=\"a\\\"b\\\\c\\n\"} 1"), std::string::npos);
}

TEST(Metrics, TypeClashIsAProgrammingError) {
  MetricsRegistry registry;
  registry.counter("x", "h");
  EXPECT_THROW(registry.gauge("x", "h"), std::logic_error);
}

}  // namespace
}  // namespace tessera
