// peers-libsinsp: times libsinsp's filter evaluation (the 2022 engine of
// Debian's libfalcosecurity0) over the events of `.scap` captures, and
// checks every filter's matches against those recorded in the corpus.
//
// usage: peers-libsinsp [--reps N] [--list] FILTERS.jsonl CAPTURE.scap...
//
// FILTERS.jsonl is the corpus's captures/filters.jsonl: one JSON object per
// line; the runner compiles its `sysdig_filter` form and compares its
// matches with `matches[<capture name>]` (the capture name is the file name
// without `.scap`).
//
// Method. libsinsp's field values depend on the inspector's state (thread
// and fd tables) at the moment of each event, so events cannot be loaded
// first and evaluated later: every repetition replays the capture with a
// fresh inspector, and only the loop that runs the filters on an event sits
// between the two clock reads. Reading, parsing and state tracking are not
// timed. Every filter runs on every event: this library's own event-type
// index (sinsp_filter::evttypes()) is wrong for filters with `not` (it
// loses matches recorded by sysdig), so it is not used.
//
// Output (stdout), one line per capture and one `total` line, `key=value`
// fields separated by blanks: `ns` is the evaluation time of all
// repetitions, `ns_rep_median` that of the median repetition, `ns_best`
// the sum over events of each event's fastest repetition (robust to a
// noisy machine: a preempted evaluation is not the fastest), `ns_per_eval`
// = ns_best per evaluation of one filter on one event; `total` sums the
// captures. Disagreements go to stderr. Exit status 0 when every filter
// compiled and agreed on every capture, 1 when some did not, 2 on bad
// usage or input.
//
// Give each capture its own process to reproduce sysdig's matches (see
// benches/peers/README.md: this libsinsp reads uninitialized memory for
// fd.cport on IPv6 listening sockets).

#include <sinsp.h>
#include <filter.h>
#include <json/json.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Filter {
	std::string text;         // the sysdig_filter form
	Json::Value recorded;     // {capture name: [evt.num, ...]}
};

struct Options {
	int reps = 5;
	bool list = false;
	std::string filters_path;
	std::vector<std::string> captures;
};

[[noreturn]] void usage_error(const std::string& msg)
{
	std::cerr << "peers-libsinsp: " << msg << "\n"
		  << "usage: peers-libsinsp [--reps N] [--list] FILTERS.jsonl CAPTURE.scap...\n";
	std::exit(2);
}

Options parse_args(int argc, char** argv)
{
	Options opt;
	std::vector<std::string> positional;
	for(int i = 1; i < argc; i++) {
		std::string arg = argv[i];
		if(arg == "--reps" && i + 1 < argc) {
			opt.reps = std::atoi(argv[++i]);
			if(opt.reps < 1) {
				usage_error("--reps needs a positive number");
			}
		} else if(arg == "--list") {
			opt.list = true;
		} else if(arg.rfind("--", 0) == 0) {
			usage_error("unknown option `" + arg + "`");
		} else {
			positional.push_back(arg);
		}
	}
	if(positional.size() < 2) {
		usage_error("need a filters file and at least one capture");
	}
	opt.filters_path = positional[0];
	opt.captures.assign(positional.begin() + 1, positional.end());
	return opt;
}

std::vector<Filter> load_filters(const std::string& path)
{
	std::ifstream in(path);
	if(!in) {
		std::cerr << "peers-libsinsp: cannot read `" << path << "`\n";
		std::exit(2);
	}
	Json::CharReaderBuilder builder;
	std::vector<Filter> filters;
	std::string line;
	for(int lineno = 1; std::getline(in, line); lineno++) {
		if(line.empty()) {
			continue;
		}
		Json::Value record;
		std::string err;
		std::istringstream text(line);
		if(!Json::parseFromStream(builder, text, &record, &err) ||
		   !record["sysdig_filter"].isString() || !record["matches"].isObject()) {
			std::cerr << "peers-libsinsp: " << path << ":" << lineno
				  << ": not a filter record: " << err << "\n";
			std::exit(2);
		}
		filters.push_back({record["sysdig_filter"].asString(), record["matches"]});
	}
	return filters;
}

// "dir/name.scap" -> "name"
std::string capture_name(const std::string& path)
{
	std::string name = path.substr(path.find_last_of('/') + 1);
	const std::string ext = ".scap";
	if(name.size() > ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0) {
		name.resize(name.size() - ext.size());
	}
	return name;
}

struct CaptureResult {
	uint64_t events = 0;      // events returned by sinsp::next() per replay
	uint64_t evals = 0;       // events x compiled filters x repetitions
	uint64_t ns = 0;          // time spent in filter evaluation, all reps
	uint64_t ns_median = 0;   // the same, in the median repetition
	uint64_t ns_best = 0;     // sum over events of their fastest repetition
	int compiled = 0;
	int agree = 0;
	int disagree = 0;
};

std::string join(const std::vector<uint64_t>& nums, size_t limit)
{
	std::string out = "[";
	for(size_t i = 0; i < nums.size() && i < limit; i++) {
		out += (i ? "," : "") + std::to_string(nums[i]);
	}
	return out + (nums.size() > limit ? ",...]" : "]");
}

CaptureResult run_capture(const Options& opt, const std::vector<Filter>& filters,
			  const std::string& path)
{
	using clock = std::chrono::steady_clock;
	const std::string name = capture_name(path);
	CaptureResult res;
	std::vector<std::vector<uint64_t>> matched(filters.size());
	std::vector<char> hit(filters.size(), 0);
	std::vector<char> compiles(filters.size(), 0);
	std::vector<uint64_t> rep_ns(opt.reps, 0);
	std::vector<uint64_t> best;  // per event, its fastest repetition

	for(int rep = 0; rep < opt.reps; rep++) {
		sinsp inspector;
		// A filter that fails to compile stays null and is reported.
		std::vector<std::unique_ptr<sinsp_filter>> compiled(filters.size());
		std::vector<size_t> all;  // indexes of the compiled filters
		for(size_t i = 0; i < filters.size(); i++) {
			try {
				sinsp_filter_compiler compiler(&inspector, filters[i].text);
				compiled[i].reset(compiler.compile());
			} catch(const std::exception& e) {
				if(rep == 0) {
					std::cerr << "compile-error capture=" << name << " filter=" << i
						  << " " << e.what() << "\n";
				}
				continue;
			}
			all.push_back(i);
			compiles[i] = 1;
		}
		res.compiled = all.size();

		inspector.open(path);
		uint64_t events = 0;
		while(true) {
			sinsp_evt* evt = nullptr;
			int32_t rc = inspector.next(&evt);
			if(rc == SCAP_EOF) {
				break;
			}
			if(rc == SCAP_TIMEOUT) {
				continue;
			}
			if(rc != SCAP_SUCCESS || evt == nullptr) {
				std::cerr << "peers-libsinsp: " << path << ": "
					  << inspector.getlasterr() << "\n";
				std::exit(2);
			}
			// sysdig, the oracle of the recorded matches, does not show
			// libsinsp's internal events (procinfo, ...): skip them too.
			if(evt->get_category() & EC_INTERNAL) {
				continue;
			}
			// sysdig ran its filter inside next(), before libsinsp sets
			// fd.name_changed for the event (init() clears it), so every
			// recorded match saw it false: evaluate in the same state.
			evt->set_fdinfo_name_changed(false);
			events++;
			auto start = clock::now();
			for(size_t i : all) {
				hit[i] = compiled[i]->run(evt);
			}
			auto stop = clock::now();
			uint64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(stop - start).count();
			rep_ns[rep] += ns;
			if(rep > 0) {
				if(events <= best.size()) {
					best[events - 1] = std::min(best[events - 1], ns);
				}
			} else {
				best.push_back(ns);
				for(size_t i : all) {
					if(hit[i]) {
						matched[i].push_back(evt->get_num());
					}
					hit[i] = 0;
				}
			}
		}
		inspector.close();
		res.events = events;
		res.evals += events * all.size();
		res.ns += rep_ns[rep];
	}
	// The median repetition resists the noise of a shared machine.
	std::sort(rep_ns.begin(), rep_ns.end());
	res.ns_median = (rep_ns[(opt.reps - 1) / 2] + rep_ns[opt.reps / 2]) / 2;
	for(uint64_t ns : best) {
		res.ns_best += ns;
	}

	for(size_t i = 0; i < filters.size(); i++) {
		std::vector<uint64_t> recorded;
		for(const Json::Value& num : filters[i].recorded[name]) {
			recorded.push_back(num.asUInt64());
		}
		bool agree = compiles[i] && filters[i].recorded.isMember(name) &&
			     recorded == matched[i];
		(agree ? res.agree : res.disagree)++;
		if(!agree) {
			std::cerr << "disagree capture=" << name << " filter=" << i
				  << " libsinsp=" << join(matched[i], 10)
				  << " recorded=" << join(recorded, 10) << "\n";
		}
		if(opt.list) {
			std::cout << "match capture=" << name << " filter=" << i
				  << " count=" << matched[i].size()
				  << " agree=" << (agree ? "yes" : "no") << "\n";
		}
	}
	return res;
}

} // namespace

int main(int argc, char** argv)
try {
	Options opt = parse_args(argc, argv);
	std::vector<Filter> filters = load_filters(opt.filters_path);

	CaptureResult total;
	bool all_compiled = true;
	for(const std::string& path : opt.captures) {
		CaptureResult r = run_capture(opt, filters, path);
		std::cout << "capture name=" << capture_name(path)
			  << " events=" << r.events << " filters=" << filters.size()
			  << " compiled=" << r.compiled << " reps=" << opt.reps
			  << " evals=" << r.evals << " ns=" << r.ns << " ns_rep_median=" << r.ns_median
			  << " ns_best=" << r.ns_best
			  << " agree=" << r.agree << " disagree=" << r.disagree << "\n";
		total.events += r.events;
		total.evals += r.evals;
		total.ns += r.ns;
		total.ns_median += r.ns_median;
		total.ns_best += r.ns_best;
		total.agree += r.agree;
		total.disagree += r.disagree;
		all_compiled = all_compiled && r.compiled == static_cast<int>(filters.size());
	}
	// ns per evaluation (one filter on one event), each event at its fastest
	double per_eval = total.evals
		? static_cast<double>(total.ns_best) * opt.reps / total.evals : 0.0;
	std::cout << "total captures=" << opt.captures.size()
		  << " events=" << total.events << " filters=" << filters.size()
		  << " reps=" << opt.reps << " evals=" << total.evals << " ns=" << total.ns
		  << " ns_rep_median=" << total.ns_median << " ns_best=" << total.ns_best
		  << " ns_per_eval=" << per_eval
		  << " agree=" << total.agree << " disagree=" << total.disagree << "\n";
	return all_compiled && total.disagree == 0 ? 0 : 1;
}
catch(const std::exception& e) {
	std::cerr << "peers-libsinsp: " << e.what() << "\n";
	return 2;
}
