#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "trust/attributes.hpp"

namespace tessera::trust {
namespace {

SharedAttributes twoAttributes() {
  SharedAttributes a;
  a.emplace("k8s.namespace", Attribute{"sales", true, "cluster"});
  a.insert_or_assign("k8s.podName", Attribute{"sales-analytics-1", true, "cluster"});
  return a;
}

TEST(SharedAttributes, ANewOneIsEmptyAndReadsLikeAMap) {
  const SharedAttributes none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.size(), 0u);
  EXPECT_EQ(none.find("k8s.namespace"), none.end());
  EXPECT_THROW((void)none.at("k8s.namespace"), std::out_of_range);

  const auto a = twoAttributes();
  EXPECT_EQ(a.size(), 2u);
  EXPECT_TRUE(a.contains("k8s.podName"));
  EXPECT_EQ(a.count("k8s.podName"), 1u);
  EXPECT_EQ(a.at("k8s.namespace").value, "sales");
  std::vector<std::string> names;
  for (const auto& [name, attribute] : a) {
    names.push_back(name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"k8s.namespace", "k8s.podName"}));
  const Attributes& map = a;  // as matchers and templates take them
  EXPECT_EQ(map.at("k8s.podName").value, "sales-analytics-1");
}

TEST(SharedAttributes, CopiesShareTheMapUntilOneChanges) {
  const auto original = twoAttributes();
  auto copy = original;
  EXPECT_EQ(&original.get(), &copy.get());  // no copy of the map

  copy["k8s.namespace"].value = "billing";
  copy.emplace("k8s.nodeName", Attribute{"node-1", true, "cluster"});
  EXPECT_NE(&original.get(), &copy.get());
  EXPECT_EQ(original.at("k8s.namespace").value, "sales");
  EXPECT_FALSE(original.contains("k8s.nodeName"));
  EXPECT_EQ(copy.at("k8s.namespace").value, "billing");
  EXPECT_EQ(copy.size(), 3u);

  // The sole owner changes in place.
  const Attributes* before = &copy.get();
  copy.insert_or_assign("k8s.podName", Attribute{"other", true, "cluster"});
  EXPECT_EQ(&copy.get(), before);

  copy.clear();
  EXPECT_TRUE(copy.empty());
  EXPECT_EQ(original.size(), 2u);
}

TEST(SharedAttributes, CopiesOnOtherThreadsChangeOnlyThemselves) {
  const auto original = twoAttributes();
  std::vector<std::thread> threads;
  std::vector<SharedAttributes> results(8);
  for (std::size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < 1000; ++n) {
        auto copy = original;
        copy["k8s.namespace"].value = "t" + std::to_string(i);
        results[i] = copy;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(original.at("k8s.namespace").value, "sales");
  for (std::size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].at("k8s.namespace").value, "t" + std::to_string(i));
  }
}

}  // namespace
}  // namespace tessera::trust
