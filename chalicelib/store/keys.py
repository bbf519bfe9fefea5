"""The single-table key schema and every access pattern it serves.

Table: PK (S), SK (S); GSI1 (GSI1PK, GSI1SK) is overloaded and sparse; TTL attribute
``expires_at`` (epoch seconds). No request path ever scans.

Access patterns (who asks -> the one call that answers):
  1. Create a shop, unique by id           -> TransactWriteItems, Put SHOP#<shop>/SHOP if not exists
  2. Read a shop (webhooks, owner routes)  -> GetItem SHOP#<shop>/SHOP
  3. Owner key -> shop                     -> GetItem APIKEY#<sha256>/APIKEY (BatchGet with 2)
  4. Storefront domain -> shop (Shopify
     webhooks name the shop by domain;
     a domain belongs to one shop)         -> GetItem DOMAIN#<host>/DOMAIN, Put if not exists
  5. Replace a shop's domains/settings     -> TransactWriteItems (shop update + domain puts/deletes)
  6. An order and its buyer, read together
     before applying a webhook              -> BatchGetItem SHOP#<shop>/ORDER#<order> + SHOP#<shop>/CUST#<cust>
  7. Apply one order fact exactly once      -> TransactWriteItems: Put ORDER conditioned on its version,
                                               Put/Update CUST, Update AGG shard (ADD counters)
  8. Per-day funnel counters, write-sharded -> Update AGG#<shop>#<n>/DAY#<yyyy-mm-dd> (n random of SHARDS);
                                               a report Queries each shard, SK BETWEEN DAY#<from> AND DAY#<to>
  9. Review requests due now                -> Query GSI1, GSI1PK = DUE#<n> for each n, GSI1SK <= <now iso>
                                               (sparse: only scheduled requests carry GSI1 keys)
 10. Product page and picture               -> GetItem / conditional Put SHOP#<shop>/PRODUCT#<product>
 11. A customer's orders (privacy requests) -> GetItem CUST (its order_ids set), then GetItem each ORDER
 12. Submit a review, one per order line     -> TransactWriteItems: Put REVIEW#<id> if not exists (the id is
                                               derived from shop+order+product), Update ORDER, CUST, AGG,
                                               PRODSTATS#<product>
 13. A product's published reviews, newest   -> Query GSI1, GSI1PK = PRODREV#<shop>#<product>, GSI1SK desc
 14. A shop's reviews waiting for the owner  -> Query GSI1, GSI1PK = PENDING#<shop>, GSI1SK asc
 15. A product's rating aggregate            -> GetItem SHOP#<shop>/PRODSTATS#<product>
 16. Reviews of one order (the review form)  -> BatchGetItem REVIEW#<id> for each product of the order
 17. Share code -> advocate (every /s/ and
     /share/ request; codes are global)     -> GetItem CODE#<code>/CODE; created with Put if not exists
 18. Count a share or click once per visitor
     and day                                -> TransactWriteItems: Put MARK#<kind>#<code>#<channel>#<day>#
                                               <visitor> if not exists (TTL 3 days), Update VISIT#<visitor>#<day> (cap),
                                               Update CODESTAT#<code>#<n>/DAY#<day> (sharded, cap), AGG shard
 19. A code's counters                      -> Query CODESTAT#<code>#<n> for each shard n
 20. An order's referral candidates         -> in the BatchGetItem of 6: CODE#<code> for each share code the order
                                               names, REFCODE#<shop>#<CODE> for each discount code, and
                                               SHOP#<shop>/CLAIM#<keyed hash of the buyer's mailbox> (54); a
                                               friend's code whose holder's claim is not among them: BatchGetItem
                                               SHOP#<shop>/CLAIM#<holder> (that order only)
 21. Outbound events to deliver, oldest due
     first (transactional outbox)           -> Query GSI1, GSI1PK = OUTBOX#<n>, GSI1SK <= <now iso>; the event
                                               item SHOP#<shop>/OUTEVT#<id> is written in the fact's transaction
 22. A shop's advocates, highest score first -> Query ByScore, GSI2PK = LEADER#<shop>, descending (sparse:
                                               customers join on their first review)
 23. Click totals into the leaderboard      -> Query ROLLUP#<day> (codes clicked that day), Query each code's
                                               CODESTAT shards, Update CUST click_score and GSI2SK
 24. Where the click roll-up of each day
     stands (resumed by the next run)       -> BatchGetItem ROLLUPCURSOR#<day>/ROLLUPCURSOR for each day of the
                                               window; Query ROLLUP#<day> from ExclusiveStartKey = its last
                                               code; Update the cursor when the run's stretch ends
 25. A helpful vote, once per visitor and
     review (public product pages)          -> TransactWriteItems: Put VOTE#<shop>#<review>#<visitor>/VOTE if
                                               not exists (TTL a year), Update REVIEW ADD helpful_yes|helpful_no
                                               if the review exists
 26. Record a customer's data request, once
     per request id (privacy webhooks)      -> Put SHOP#<shop>/DATAREQ#<request> if not exists
 27. A shop's data requests (owner route)   -> Query SHOP#<shop>, SK begins_with DATAREQ#, paged by cursor
 28. Erase a whole shop (privacy webhook,
     then the due work page by page)        -> Update SHOP#<shop>/SHOP SET GSI1PK = SHOPREDACT, GSI1SK = <shop>
                                               if not requested before; the due work Queries GSI1,
                                               GSI1PK = SHOPREDACT, then Query SHOP#<shop>, SK begins_with
                                               CUST#, page by page; REMOVE the GSI1 keys when the last page
                                               is done (sparse: only shops waiting for erasure)
 29. Customer erasures a webhook left part
     done (its time ran out)                -> Update SHOP#<shop>/CUST#<cust> SET GSI1PK = CUSTREDACT,
                                               GSI1SK = <shop>#<cust>, erase_orders = the orders left; the
                                               due work Queries GSI1, GSI1PK = CUSTREDACT, and REMOVEs the
                                               GSI1 keys once the customer is erased (sparse)
 30. Export a shop's reviews (owner route)  -> Query SHOP#<shop>, SK begins_with REVIEW#, page by page
 31. A photo of one review (upload, attach,
     hide; the id is random)                -> Put SHOP#<shop>/PHOTO#<review>#<photo> if not exists; the
                                               submission BatchGets the ones it attaches
 32. A review's photos (the upload cap, the
     public listing, moderation, erasure)   -> Query SHOP#<shop>, SK begins_with PHOTO#<review>#; a listing
                                               BatchGets only the photos its reviews name (photo_ids)
 33. Uploads waiting to be processed        -> Query GSI1, GSI1PK = PHOTODUE, GSI1SK <= <now iso> (sparse:
                                               REMOVEd once the photo is processed, refused or expired; one
                                               whose file is not there yet, or whose processing failed, is
                                               moved a minute on)
 34. Share cards to (re)build or delete      -> Update CODE#<code>/CODE SET GSI1PK = CARDDUE, GSI1SK = <stamp>
                                               when its review or photo changes; the due work Queries GSI1,
                                               GSI1PK = CARDDUE, GSI1SK <= <now stamp> and REMOVEs the keys if
                                               unchanged since read; a failed build moves its stamp on
 35. Google's product review feed and its
     report (owner key or the secret URL)   -> Query SHOP#<shop>, SK begins_with REVIEW#, page by page (the
                                               published ones written out as read), BatchGetItem
                                               SHOP#<shop>/PRODUCT#<product> for the page's new products
 36. Reviews the feed has to retract        -> Put SHOP#<shop>/FEEDGONE#<review> when a published review is
                                               rejected (TTL 30 days), Delete it when it is published again;
                                               the feed Queries SHOP#<shop>, SK begins_with FEEDGONE#
 37. Webhook delivery health, written on
     every delivery to a shop that exists   -> one UpdateItem: an accepted (or ignored, or duplicate)
     (topics bounded to the platform's own     delivery SETs last_received/last_accepted on
     list plus "other")                        SHOP#<shop>/DELIVERY#<platform>#<topic>; a refused one ADDs
                                               its kind's counter on SHOP#<shop>/DELIVERY#<platform>#<topic>#
                                               <yyyy-mm-ddThh> and SETs its last reason (TTL 26 hours): at
                                               most 25 live items per shop and topic, whoever sends
 38. The console's health panel             -> Query SHOP#<shop>, SK begins_with DELIVERY#
 39. Whether the instance has a shop yet
     (/setup works only until it has)       -> GetItem INSTANCE/INSTANCE; every shop creation ADDs its
                                               `shops` count in the creation's transaction, and /setup's
                                               creation is also conditioned on the item being absent
 40. The console's reviews section: every
     review of a shop, filtered by status,
     rating, product, text and dates, a
     page (at most 25 shown) per request    -> one Query plan, chosen by the filters:
                                               status=pending: Query GSI1, GSI1PK = PENDING#<shop>, newest
                                               first, GSI1SK BETWEEN the date range (widened by a second: the
                                               key's stamp is taken a moment after created_at) when one is given;
                                               status=published with a product: Query GSI1, GSI1PK =
                                               PRODREV#<shop>#<product>, newest published first;
                                               otherwise: Query SHOP#<shop>, SK begins_with REVIEW#, in review-id
                                               order (not by date: no key orders all of a shop's reviews by date;
                                               that would take a GSI of shop + created_at, not added).
                                               What the key does not narrow (rating, text, product, status on the
                                               shop partition, exact dates) is filtered in Python over at most
                                               200 items read per request: a first Query of Limit 25, then Limit
                                               100, so at most 3 Queries (~25 RCU eventually consistent with
                                               ~1 KB reviews); the signed cursor is the position of the last item
                                               examined, so a page short of 25 says how many it searched and
                                               offers the next stretch. Each shown review with photos adds its
                                               pattern-32 Query; the product filter's choices are one Query of
                                               SHOP#<shop>, SK begins_with PRODUCT#, Limit 100 (1 call, <= 13 RCU)
 41. Bulk publish / reject from the console
     (at most 100 reviews a request)        -> BatchGetItem SHOP#<shop>/REVIEW#<id> (consistent) for every id:
                                               not found and already-in-the-target-state are answered from it and
                                               write nothing; each review to change goes through the single
                                               action's own code (GetItem + TransactWriteItems of the review, its
                                               PRODSTATS, the outbox event and the FEEDGONE marker; a reject also
                                               reads the customer for the share card), so counters move once
 42. Find a shop's customers by name word or
     email (the console's search; no plain
     email or name in any key)              -> Query SHOP#<shop>, SK begins_with FIND#<hash>#, one per word
                                               (hash: a keyed hash of the normalised word or of the email's
                                               matching hash); several words: the smallest complete answer,
                                               BatchGetItem FIND#<hash>#<cust> of the other words for its
                                               customers, then BatchGetItem CUST#<cust>. The lookup items
                                               SHOP#<shop>/FIND#<hash>#<cust> are Put in the order's own
                                               transaction when a customer is new or gains a name or an
                                               email (CUST lists them in find_tokens); erasure Deletes them
 43. Index customers older than the lookups
     (bounded, resumable)                   -> Put SHOP#<shop>/FINDCURSOR with GSI1PK = FINDBACKFILL,
                                               GSI1SK = <shop> if not exists (the console asks once); the due
                                               work Queries GSI1, GSI1PK = FINDBACKFILL, then Query
                                               SHOP#<shop>, SK begins_with CUST#, from the cursor's last
                                               customer, page by page; each customer not yet indexed is one
                                               TransactWriteItems (Update CUST if not indexed, Put its
                                               lookups); Update the cursor after each page, REMOVE its GSI1
                                               keys at the end (sparse: only shops being indexed)
 44. A customer's page in the console       -> GetItem CUST#<cust>; BatchGetItem of their ORDER items
                                               (order_ids), REVIEW items (review_ids), CODE#<code> and the
                                               orders their link brought (referred_order_ids, kept on the
                                               advocate's record by the referral's own update), each list
                                               bounded; Query CODESTAT#<code>#<n> for each shard n (19)
 45. A CSV import (checked, then imported
     chunk by chunk; the console's upload,
     its progress page and the due work)     -> Put SHOP#<shop>/IMPORT#<job> if not exists once the file is
                                               stored; GetItem (consistent) on each poll; UpdateItem claims
                                               it (a lease, conditioned on its status and no live lease),
                                               records each chunk (conditioned on holding the lease), and
                                               commits or cancels it (conditioned on its status)
 46. A shop's recent imports (console)      -> Query SHOP#<shop>, SK begins_with IMPORT#, newest first (a
                                               job id starts with its UTC time), one page of 10
 47. Imports left checking or importing     -> Query GSI1, GSI1PK = IMPORTDUE (sparse: the keys are SET while
                                               a job checks or imports, REMOVEd when it stops); the due work
                                               advances each one as a poll of its page would
 48. Test emails from the console, at most
     TRIAL_MAILS_PER_HOUR per shop and hour  -> one UpdateItem SHOP#<shop>/MAILTRIAL#<yyyy-mm-ddThh> ADD sent,
     (the console is no spam relay)            conditioned on sent < the cap (TTL 2 hours)
 49. What the console offers to choose from
     (a bounded page each, never all)       -> Query SHOP#<shop>, SK begins_with ORDER#, descending, Limit 20
                                               (orders to preview an email with; any other by its id: GetItem
                                               its ORDER); SK begins_with PRODUCT#, Limit 3 (a sample order's
                                               items); SK begins_with PRODSTATS#, Limit 50 (products with
                                               reviews, for the widget), then BatchGetItem their PRODUCT items
 50. Due items parked after failing, per
     shop (every due job: requests and
     reminders, outbound events, photos,
     cards, imports, erasures)              -> Update the item SET GSI1PK = PARKED#<shop>, GSI1SK = <stamp>#<job>#<ref>
                                               (one write moves it off its due partition, conditioned on the
                                               due key it was read with; attempts and the last reason on the
                                               item); a failure short of the bound instead moves its due key
                                               later (patterns 9, 21, 33, 34, 47). The console Queries GSI1,
                                               GSI1PK = PARKED#<shop>, newest first, one page of 25; a retry
                                               Queries that one entry (GSI1SK = it) and Updates the item back to
                                               its due partition, due now, conditioned on still being parked
 51. Add referral codes to a shop's pool
     (friend or advocate), each code once
     in either pool (codes are compared
     without regard to case)                -> TransactWriteItems of up to 99 Puts REFCODE#<shop>#<CODE>/REFCODE
                                               if not exists (one item per code, its partition its own: an upload
                                               of 10,000 heats no key), each with GSI1PK = REFPOOL#<shop>#<pool>#
                                               <n>, GSI1SK = <stamp>#<CODE> (n: the code's shard of
                                               REFERRAL_POOL_SHARDS), and one Update SHOP#<shop>/REFCOUNT#<pool>#
                                               <n> ADD available; a code that fails its condition is `already`
                                               and the rest is written again without it
 52. Hand one available code to one holder
     (the friend's claim, the advocate's
     reward), once per holder               -> BatchGetItem (consistent) SHOP#<shop>/REFHOLDER#<pool>#<holder>
                                               and the pool's REFCOUNT shards: the holder's code if it has one,
                                               none when `available` sums to 0; else Query GSI1, GSI1PK =
                                               REFPOOL#<shop>#<pool>#<n> (a random shard first, Limit 25) and
                                               TransactWriteItems: Update the code SET holder REMOVE GSI1PK,
                                               GSI1SK if it still has them (sparse: only available codes are on
                                               the index), Put the holder record if not exists, Update its
                                               shard's REFCOUNT ADD available -1, handed_out 1; a claimant that
                                               lost the code tries another, one whose holder record exists reads it
 53. A shop's pools and their counts
     (owner route, the console)             -> BatchGetItem SHOP#<shop>/SHOP, SHOP#<shop>/REFCLAIMS (the friends'
                                               claims, ADDed by each claim's transaction),
                                               SHOP#<shop>/REWARDCOUNT (the rewards by state, pattern 58) and
                                               SHOP#<shop>/REFCOUNT#<pool>#<n> for each pool and shard n
 54. A friend's claim of the give-get offer,
     one per mailbox and shop (the same
     mailbox claiming again reads it back)  -> GetItem (consistent) SHOP#<shop>/CLAIM#<keyed hash of the mailbox>;
                                               TransactWriteItems: Put it if not exists, with the pool's code
                                               handed out (pattern 52) just before it when one is left
 55. Claims with work left (a code to wait
     for, the email carrying it to send)    -> Query GSI1, GSI1PK = CLAIMDUE, GSI1SK <= <now iso> (sparse: the keys
                                               are REMOVEd with the friend's plain address once it is mailed)
 56. A visitor's claims today (at most
     CLAIMS_PER_VISITOR_DAY)                -> UpdateItem CLAIMS#<visitor>/DAY#<yyyy-mm-dd> ADD claims, conditioned
                                               on claims < the cap (TTL 2 days)
 57. Erase a customer's friend claims, and
     a shop's referral data (privacy)       -> a customer: BatchGetItem (consistent) SHOP#<shop>/CLAIM#<friend> and
                                               SHOP#<shop>/REFHOLDER#<pool>#friend:<friend> for the keyed hash of
                                               each mailbox of theirs; TransactWriteItems: Delete the claim and the
                                               holder record, Put SHOP#<shop>/REFHOLDER#<pool>#erased:<CODE> (the
                                               code, not whom), Update the code REMOVE holder, handed_out_at (it
                                               stays handed out). A shop: Query SHOP#<shop>, SK begins_with CLAIM#,
                                               then REFHOLDER# (Delete each and the code it names), Query GSI1,
                                               GSI1PK = REFPOOL#<shop>#<pool>#<n> (Delete each available code), then
                                               Query SHOP#<shop>, SK begins_with REFCOUNT#, and REFCLAIMS: Delete
 58. An advocate's reward for one referred
     order, once (a redelivery meets it)    -> Put SHOP#<shop>/REWARD#<id> if not exists (the id derived from
                                               shop+order) in the order's own transaction, with Update
                                               SHOP#<shop>/REWARDCOUNT ADD its state's counter; every later move
                                               (void, approve, deny, issue) is an Update conditioned on the state
                                               it was read in, moving two counters of REWARDCOUNT in the same
                                               transaction; GetItem (consistent) by id for the owner's routes
 59. A shop's rewards by state (owner route) -> Query GSI1, GSI1PK = REWARDS#<shop>#<state>, newest first, paged
                                               by cursor (GSI1SK = <stamp>#<id>, moved with the state)
 60. Rewards whose hold has passed (the due
     work issues them)                      -> Query GSI1, GSI1PK = REWARDDUE, GSI1SK <= <now iso>; the marker
                                               SHOP#<shop>/REWARDDUE#<id> is Put once the friend's order is
                                               fulfilled (due at fulfilment + hold_days), stays while the email
                                               is to send, and is Deleted once sent (sparse: only rewards with work
                                               left); a failure moves its due key later, then parks it (50)
 61. An advocate's referred orders of the
     last 24 hours (the velocity rule)      -> GetItem SHOP#<shop>/REWARDADV#<advocate> (with 62 in one
                                               BatchGetItem); Put it back in the order's transaction conditioned
                                               on the version read
 62. An advocate's rewards counted against
     the monthly cap                        -> GetItem SHOP#<shop>/REWARDCAP#<advocate>#<yyyy-mm>; Update ADD
                                               rewards as one becomes pending (or is approved), -1 as a pending one
                                               is voided, in the reward's own transaction
 63. Erase a customer's rewards data, and a
     shop's rewards (privacy)               -> a customer: BatchGetItem (consistent) SHOP#<shop>/REWARDADV#<them>,
                                               SHOP#<shop>/REWARD#<id> of each order their link brought (the
                                               record's referred_order_ids and REWARDADV's recent ones) and of
                                               each order of theirs, and SHOP#<shop>/REFHOLDER#advocate#reward:<id>
                                               of each issued one; Query SHOP#<shop>, SK begins_with
                                               REWARDCAP#<them>#; Delete REWARDADV and each REWARDCAP, Update each
                                               reward SET advocate (or friend_customer) = erased, and the holder
                                               records as in 57. A shop: Query SHOP#<shop>, SK begins_with REWARD
                                               (rewards, markers, counts, advocates' items): Delete each
 64. A shop's store connection (the store's
     API credential, sealed with AES-GCM)   -> GetItem SHOP#<shop>/CONNECTION; Put it when the credential
                                               was checked against the store; Delete it on disconnect and
                                               when the shop's erasure is asked
 65. Record a code a connected store made
     for one holder (a friend's claim, an
     advocate's reward), once per holder    -> TransactWriteItems: Put SHOP#<shop>/REFHOLDER#<pool>#<holder> if
                                               not exists, Put REFCODE#<shop>#<CODE>/REFCODE (handed out, not on
                                               the index) if not exists, Update SHOP#<shop>/REFCOUNT#<pool>#<n>
                                               ADD handed_out 1; a later ask reads the holder record (pattern 52)
 66. Products whose stars the store's own
     data should show again (Shopify's
     reviews.rating metafields)             -> Put SHOP#<shop>/RATINGSDUE#<product> (GSI1PK = RATINGSDUE, GSI1SK =
                                               <due iso>#<shop>#<product>, a fresh `mark`) in the transaction that
                                               changes the product's PRODSTATS (15), Shopify shops only: one marker
                                               per product, a later change moves it; the due work Queries GSI1,
                                               GSI1PK = RATINGSDUE, GSI1SK <= <now iso>~, BatchGets the products'
                                               PRODSTATS, and Deletes each marker conditioned on the `mark` it read
                                               (a change meanwhile keeps it due); a failure moves it later, then
                                               parks it (50)
 67. Start an experiment on a lever, at most
     one running per lever (per language for
     the email texts)                       -> TransactWriteItems: Update SHOP#<shop>/SHOP SET experiments (the
                                               running ones' summary, keyed by lever slot: the lock) if its
                                               version is as read, Put SHOP#<shop>/EXPERIMENT#<id> and one
                                               SHOP#<shop>/EXPVARIANT#<id>#<variant> per variant if not exists
                                               (its shard 0; shards 1-7, #<id>#<variant>#<n>, come with their
                                               first ADD);
                                               stop and promote end it the same way (the shop's summary loses
                                               the slot in the transaction that ends the experiment)
 68. Count an experiment's units and
     conversions, exactly once each         -> Update SHOP#<shop>/EXPVARIANT#<id>#<variant>[#<n>] (a shard at
                                               random of EXPERIMENT_SHARDS; drawn again on a TransactionConflict)
                                               ADD units (the delay's in the order's transaction that first SETs
                                               its `assigned`; the texts' in the request's send claim, which also
                                               SETs the order's `exposed`) or conversions (in the order's first
                                               review's transaction)
 69. A shop's experiments, newest first,
     and one with its counters              -> Query SHOP#<shop>, SK begins_with EXPERIMENT#, descending, paged;
                                               BatchGetItem every EXPVARIANT shard of each, added up; a look's
                                               intervals Update EXPERIMENT SET looks ADD look if status = running
                                               and look is as read; a shop's erasure
                                               Queries SK begins_with EXP and Deletes each
 70. Answering measured: a review's first
     public reply counted once, on the
     review's day                            -> TransactWriteItems: Update REVIEW SET reply, first_reply_at if
                                               attribute_not_exists(first_reply_at), Update AGG shard ADD answered
                                               and the delay's histogram bucket, Delete ANSWERWAIT (71); the report
                                               reads them with the other day counters (8): no call more
 71. Unhappy reviews waiting for an answer
     (the owner's daily digest)             -> Put SHOP#<shop>/ANSWERWAIT#<created_at>#<review> in the review's
                                               transaction, on GSI1, GSI1PK = ANSWERDUE, GSI1SK = <created+24h>#
                                               <shop>#<review>; the due work Queries GSI1, GSI1PK = ANSWERDUE,
                                               GSI1SK <= <now>, then Query SHOP#<shop>, SK begins_with ANSWERWAIT#
                                               (oldest first) for the digest; a marker listed once leaves the due
                                               index (REMOVE its GSI1 keys) and SHOP#<shop>/ANSWERDIGEST (the last
                                               digest's day, claimed with a condition) is due instead at the shop's
                                               next local day; the marker is Deleted with the first reply or reject
 72. A shop's answer figures of the last
     90 days (the public badge)             -> GetItem SHOP#<shop>/ANSWERS inside the public listing's
                                               BatchGetItem (15 and 10): no call more; a review or a first reply
                                               SETs its GSI1SK to now and ADDs marks; the due work (Query GSI1,
                                               GSI1PK = ANSWERSDUE, GSI1SK <= <now>) and each reply GetItem
                                               (consistent) it, read the 90 days' counters (8, consistent) and
                                               Update the figures and GSI1SK (the next local day; REMOVEd with no
                                               review in 90 days) if marks is unchanged, else the figures only
                                               (unless a later mark's are there)
 73. An offer experiment's unit (a friend's
     visitor), counted once, and its claim
     counted once                           -> TransactWriteItems: Put SHOP#<shop>/EXPUNIT#<id>#<visitor> (its
                                               variant) if not exists, Update EXPVARIANT#<id>#<variant> ADD units
                                               (the friend's page's one more call, only while an offer experiment
                                               runs); in the claim's own transaction, Update EXPUNIT SET claimed_at
                                               if attribute_not_exists(claimed_at), ADD claims; referrals ADD
                                               conversions in the order's transaction, reward values ADD
                                               reward_value_<currency> in the reward's issue
 74. A share-prompt experiment's unit (a
     happy reviewer, the customer), counted
     once, and their first share once       -> TransactWriteItems: Update SHOP#<shop>/CUSTOMER#<customer> SET
                                               share_prompt (experiment, variant), ADD prompt_units (the
                                               experiment's id) if it exists, has not shared and was not counted
                                               in this experiment, Update EXPVARIANT
                                               ADD units (the thanks page's one more call, only while a prompt
                                               experiment runs in the buyer's language); the first share's own
                                               transaction (credit_op's attribute_not_exists(first_share_day))
                                               ADDs conversions to the variant the record names: no call more
 75. An experiment's units counted when
     their outcome window closes (the
     counts its statistic reads)            -> Put SHOP#<shop>/EXPUNIT#<id>#<unit> (its variant, created_at,
                                               closes_at = exposure + the experiment's outcome_days) with the
                                               unit's count (68, 73, 74), on GSI1, GSI1PK = EXPCLOSE#<n> (n of
                                               DUE_SHARDS, by the unit), GSI1SK = <closes_at>#<shop>#<id>#<unit>;
                                               each conversion's own transaction Updates it SET converted_at =
                                               if_not_exists(converted_at, now) ADD converted (a cancelled
                                               referral ADDs -1); the due work Queries GSI1, GSI1PK = EXPCLOSE#<n>,
                                               GSI1SK <= <now>~, GetItems each unit (consistent) and, in one
                                               transaction, Updates it REMOVE GSI1PK, GSI1SK if still due and
                                               its outcome is as read, and ADDs closed_units, closed_conversions
                                               (converted by closes_at) and closed_claims on a variant's shard
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime

PK = "PK"
SK = "SK"
GSI1 = "GSI1"
GSI1PK = "GSI1PK"
GSI1SK = "GSI1SK"
GSI2 = "ByScore"  # the advocate leaderboard: GSI2PK = LEADER#<shop>, GSI2SK = the score sum (a number)
GSI2PK = "GSI2PK"
GSI2SK = "GSI2SK"
TTL_ATTRIBUTE = "expires_at"

# Sort key prefixes inside a shop's partition (SHOP#<shop>), for the queries that list one kind of item.
CUSTOMER_PREFIX = "CUST#"
REVIEW_PREFIX = "REVIEW#"
DATA_REQUEST_PREFIX = "DATAREQ#"
FEED_GONE_PREFIX = "FEEDGONE#"
DAY_PREFIX = "DAY#"  # the sort key of every per-day counter item (AGG shards, CODESTAT shards)

PHOTO_PREFIX = "PHOTO#"
PRODUCT_PREFIX = "PRODUCT#"  # a product's page and picture (pattern 10), listed for the console's filter (40)

# Sparse GSI1 partitions of the erasure work (patterns 28 and 29).
SHOP_ERASURE_PARTITION = "SHOPREDACT"
CUSTOMER_ERASURE_PARTITION = "CUSTREDACT"


DELIVERY_PREFIX = "DELIVERY#"  # webhook delivery health (patterns 37 and 38)
DELIVERY_REFUSAL_TTL_SECONDS = 26 * 3600  # a refusal counts for 24 hours, and a little longer for the clock


def delivery_key(shop_id: str, platform: str, topic: str) -> dict[str, str]:
    """The last delivery received and accepted of one platform's topic for a shop."""
    return {PK: shop_partition(shop_id), SK: f"{DELIVERY_PREFIX}{platform}#{topic}"}


def delivery_refusals_key(shop_id: str, platform: str, topic: str, hour: str) -> dict[str, str]:
    """Refused deliveries of one topic in one hour (yyyy-mm-ddThh): counters and the last reason."""
    return {PK: shop_partition(shop_id), SK: f"{DELIVERY_PREFIX}{platform}#{topic}#{hour}"}


def delivery_sort_key_parts(sort_key: str) -> list[str]:
    """platform, topic (and the hour of a refusals item) read back from a delivery item's sort key."""
    return sort_key[len(DELIVERY_PREFIX) :].split("#")


def instance_key() -> dict[str, str]:
    """The instance's own item: how many shops were ever created here (pattern 39)."""
    return {PK: "INSTANCE", SK: "INSTANCE"}


def shop_partition(shop_id: str) -> str:
    """The partition holding a shop and everything that is the shop's own (orders, customers, reviews...)."""
    return f"SHOP#{shop_id}"


def shop_key(shop_id: str) -> dict[str, str]:
    return {PK: shop_partition(shop_id), SK: "SHOP"}


def connection_key(shop_id: str) -> dict[str, str]:
    """The shop's one store connection: the sealed API credential and what the store said of it (pattern 64)."""
    return {PK: shop_partition(shop_id), SK: "CONNECTION"}


def api_key_key(key_hash: str) -> dict[str, str]:
    return {PK: f"APIKEY#{key_hash}", SK: "APIKEY"}


def domain_key(host: str) -> dict[str, str]:
    return {PK: f"DOMAIN#{host.lower()}", SK: "DOMAIN"}


AGG_SHARDS = 4
DUE_SHARDS = 4


def order_key(shop_id: str, order_id: str) -> dict[str, str]:
    return {PK: shop_partition(shop_id), SK: f"ORDER#{order_id}"}


def customer_key(shop_id: str, customer_id: str) -> dict[str, str]:
    return {PK: shop_partition(shop_id), SK: f"{CUSTOMER_PREFIX}{customer_id}"}


def product_key(shop_id: str, product_id: str) -> dict[str, str]:
    return {PK: shop_partition(shop_id), SK: f"{PRODUCT_PREFIX}{product_id}"}


def day_sort_key(day: str) -> str:
    """The sort key of a per-day counter item, and either end of a report's SK BETWEEN."""
    return f"{DAY_PREFIX}{day}"


def day_of_sort_key(sort_key: str) -> str:
    """The day (yyyy-mm-dd) a per-day counter item counts, read back from its sort key."""
    if not sort_key.startswith(DAY_PREFIX):
        raise ValueError(f"not a per-day counter's sort key: {sort_key!r}")
    return sort_key[len(DAY_PREFIX) :]


def aggregate_key(shop_id: str, day: str, shard: int) -> dict[str, str]:
    return {PK: aggregate_partition(shop_id, shard), SK: day_sort_key(day)}


def aggregate_partition(shop_id: str, shard: int) -> str:
    return f"AGG#{shop_id}#{shard}"


def due_partition(shard: int) -> str:
    return f"DUE#{shard}"


def due_keys(shop_id: str, order_id: str, due_at: str) -> dict[str, str]:
    """GSI1 keys that put one review request on the due index (spread over DUE_SHARDS)."""
    import zlib

    shard = zlib.crc32(f"{shop_id}/{order_id}".encode()) % DUE_SHARDS
    return {GSI1PK: due_partition(shard), GSI1SK: f"{due_at}#{shop_id}#{order_id}"}


def review_id(shop_id: str, order_id: str, product_id: str) -> str:
    """One review per order line: the id is the line's, so a second submission meets the first."""
    import hashlib

    return "rv_" + hashlib.sha256(f"{shop_id}\x00{order_id}\x00{product_id}".encode()).hexdigest()[:24]


def review_key(shop_id: str, rid: str) -> dict[str, str]:
    return {PK: shop_partition(shop_id), SK: f"{REVIEW_PREFIX}{rid}"}


FEED_GONE_TTL_SECONDS = 30 * 86400  # Merchant Center fetches daily; a month of fetches may fail and still learn


def feed_gone_key(shop_id: str, rid: str) -> dict[str, str]:
    """A review the product review feed lists as deleted: published once, no longer."""
    return {PK: shop_partition(shop_id), SK: f"{FEED_GONE_PREFIX}{rid}"}


PRODUCT_STATS_PREFIX = "PRODSTATS#"


def product_stats_key(shop_id: str, product_id: str) -> dict[str, str]:
    return {PK: shop_partition(shop_id), SK: f"{PRODUCT_STATS_PREFIX}{product_id}"}


# Products whose stars go to the store's own data (pattern 66).
RATINGS_DUE_PARTITION = "RATINGSDUE"


def ratings_due_key(shop_id: str, product_id: str) -> dict[str, str]:
    """A product's marker: its published-review aggregate changed since the store was last told."""
    return {PK: shop_partition(shop_id), SK: f"RATINGSDUE#{product_id}"}


def ratings_due_keys(due_at: str, shop_id: str, product_id: str) -> dict[str, str]:
    return {GSI1PK: RATINGS_DUE_PARTITION, GSI1SK: f"{due_at}#{shop_id}#{product_id}"}


def ratings_due_until(now: str) -> str:
    """The highest due sort key of a marker due at `now`."""
    return f"{now}~"


def sort_stamp() -> str:
    """A UTC time to the microsecond, so listings keep the order things happened in within a second."""
    from chalicelib import clock

    return clock.stamp()


def published_partition(shop_id: str, product_id: str) -> str:
    """The GSI1 partition of a product's published reviews (pattern 13)."""
    return f"PRODREV#{shop_id}#{product_id}"


def published_keys(shop_id: str, product_id: str, rid: str, stamp: str | None = None) -> dict[str, str]:
    return {GSI1PK: published_partition(shop_id, product_id), GSI1SK: f"{stamp or sort_stamp()}#{rid}"}


def pending_keys(shop_id: str, rid: str) -> dict[str, str]:
    return {GSI1PK: pending_partition(shop_id), GSI1SK: f"{sort_stamp()}#{rid}"}


def pending_partition(shop_id: str) -> str:
    return f"PENDING#{shop_id}"


def pending_range(first_stamp: str, last_stamp: str) -> tuple[str, str]:
    """GSI1SK bounds of the pending reviews queued between two stamps (pattern 40): keys are `<stamp>#<id>`."""
    return first_stamp, f"{last_stamp}#~"


def listing_position(item: dict[str, Any], index: str | None = None) -> dict[str, Any]:
    """Where a listing stands after `item`: the ExclusiveStartKey of the query that read it (the table's keys,
    and the index's too when it was read through one), so a page may stop at any item it examined."""
    position = {PK: item[PK], SK: item[SK]}
    if index == GSI1:
        position.update({GSI1PK: item[GSI1PK], GSI1SK: item[GSI1SK]})
    return position


VOTE_TTL_SECONDS = 365 * 86400


def vote_key(shop_id: str, rid: str, visitor: str) -> dict[str, str]:
    """A visitor's helpful vote on a review: its existence is what makes a second vote a repeat."""
    return {PK: f"VOTE#{shop_id}#{rid}#{visitor}", SK: "VOTE"}


def data_request_key(shop_id: str, request_id: str) -> dict[str, str]:
    return {PK: shop_partition(shop_id), SK: f"{DATA_REQUEST_PREFIX}{request_id}"}


def shop_erasure_keys(shop_id: str) -> dict[str, str]:
    """GSI1 keys that put a shop on the erasure index until the due work has erased its customers."""
    return {GSI1PK: SHOP_ERASURE_PARTITION, GSI1SK: shop_id}


def customer_erasure_keys(shop_id: str, customer_id: str) -> dict[str, str]:
    """GSI1 keys that put a customer on the erasure index while orders of theirs are left to erase."""
    return {GSI1PK: CUSTOMER_ERASURE_PARTITION, GSI1SK: f"{shop_id}#{customer_id}"}


CODE_SHARDS = 8
MARK_TTL_SECONDS = 3 * 86400


def code_key(code: str) -> dict[str, str]:
    return {PK: f"CODE#{code}", SK: "CODE"}


def mark_key(kind: str, code: str, day: str, visitor: str, channel: str = "") -> dict[str, str]:
    return {PK: f"MARK#{kind}#{code}#{channel}#{day}#{visitor}", SK: "MARK"}


def visit_key(visitor: str, day: str) -> dict[str, str]:
    return {PK: f"VISIT#{visitor}#{day}", SK: "VISIT"}


def code_stat_key(code: str, shard: int, day: str) -> dict[str, str]:
    return {PK: code_stat_partition(code, shard), SK: day_sort_key(day)}


def code_stat_partition(code: str, shard: int) -> str:
    return f"CODESTAT#{code}#{shard}"


OUTBOX_SHARDS = 2
OUTBOUND_EVENT_TTL_SECONDS = 7 * 86400  # an event, delivered or not, is kept a week (a retry: a week from then)


def outbound_event_key(shop_id: str, event_id: str) -> dict[str, str]:
    return {PK: shop_partition(shop_id), SK: f"OUTEVT#{event_id}"}


def outbox_keys(event_id: str, due_at: str) -> dict[str, str]:
    import zlib

    return {GSI1PK: outbox_partition(zlib.crc32(event_id.encode()) % OUTBOX_SHARDS), GSI1SK: f"{due_at}#{event_id}"}


def outbox_partition(shard: int) -> str:
    return f"OUTBOX#{shard}"


def leader_partition(shop_id: str) -> str:
    return f"LEADER#{shop_id}"


def rollup_key(day: str, code: str) -> dict[str, str]:
    return {PK: rollup_partition(day), SK: code}


def rollup_partition(day: str) -> str:
    return f"ROLLUP#{day}"


def rollup_cursor_key(day: str) -> dict[str, str]:
    """One day's roll-up progress: the pass in progress (start, last code rolled) and the last complete one."""
    return {PK: f"ROLLUPCURSOR#{day}", SK: "ROLLUPCURSOR"}


# Sparse GSI1 partitions of the photo pipeline (patterns 33 and 34).
PHOTO_DUE_PARTITION = "PHOTODUE"
CARD_DUE_PARTITION = "CARDDUE"


def photo_key(shop_id: str, rid: str, photo_id: str) -> dict[str, str]:
    return {PK: shop_partition(shop_id), SK: f"{review_photos_prefix(rid)}{photo_id}"}


def review_photos_prefix(rid: str) -> str:
    """The sort-key prefix of one review's photos (pattern 32)."""
    return f"{PHOTO_PREFIX}{rid}#"


def photo_due_keys(due_at: str, shop_id: str, rid: str, photo_id: str) -> dict[str, str]:
    """An upload due at `due_at` (when it was asked for, or later when it was put off)."""
    return {GSI1PK: PHOTO_DUE_PARTITION, GSI1SK: f"{due_at}#{shop_id}#{rid}#{photo_id}"}


def card_due_keys(code: str, due: datetime | None = None) -> dict[str, str]:
    """A code's card is due (now, or at `due` when a build failed): the stamp sorts the due page."""
    from chalicelib import clock

    return {GSI1PK: CARD_DUE_PARTITION, GSI1SK: f"{clock.stamp(due)}#{code}"}


# A CSV import of reviews (patterns 45 to 47).
IMPORT_PREFIX = "IMPORT#"
IMPORT_DUE_PARTITION = "IMPORTDUE"


def import_key(shop_id: str, job_id: str) -> dict[str, str]:
    """One import job: its file, where it stands, its counts."""
    return {PK: shop_partition(shop_id), SK: f"{IMPORT_PREFIX}{job_id}"}


def import_due_keys(created_at: str, shop_id: str, job_id: str) -> dict[str, str]:
    """GSI1 keys that put an import on the due index while it checks or imports."""
    return {GSI1PK: IMPORT_DUE_PARTITION, GSI1SK: f"{created_at}#{shop_id}#{job_id}"}


# The console's customer search (patterns 42 and 43).
CUSTOMER_LOOKUP_PREFIX = "FIND#"
CUSTOMER_INDEX_PARTITION = "FINDBACKFILL"  # sparse GSI1 partition: shops whose older customers are being indexed


def customer_lookup_prefix(token: str) -> str:
    """The sort-key prefix of every customer a search token finds (pattern 42)."""
    return f"{CUSTOMER_LOOKUP_PREFIX}{token}#"


def customer_lookup_key(shop_id: str, token: str, customer_id: str) -> dict[str, str]:
    """One customer found by one token (a keyed hash of a name word or of an email): the item holds no more."""
    return {PK: shop_partition(shop_id), SK: f"{customer_lookup_prefix(token)}{customer_id}"}


def customer_index_cursor_key(shop_id: str) -> dict[str, str]:
    """How far the indexing of a shop's older customers has got (pattern 43)."""
    return {PK: shop_partition(shop_id), SK: "FINDCURSOR"}


def customer_index_due_keys(shop_id: str) -> dict[str, str]:
    """GSI1 keys that put a shop's index cursor on the due work's list until every customer is indexed."""
    return {GSI1PK: CUSTOMER_INDEX_PARTITION, GSI1SK: shop_id}


# The console's choices (pattern 49): a shop's orders, product pages and rating aggregates, a page of each.
ORDER_PREFIX = "ORDER#"
PRODUCT_STATS_PREFIX = "PRODSTATS#"

TRIAL_MAILS_PER_HOUR = 10  # test emails a shop may send from the console in one hour (pattern 48)
TRIAL_MAIL_TTL_SECONDS = 2 * 3600  # the hour's counter, and a little longer for the clock


def trial_mail_key(shop_id: str, hour: str) -> dict[str, str]:
    """The console's test emails of one shop in one hour (yyyy-mm-ddThh)."""
    return {PK: shop_partition(shop_id), SK: f"MAILTRIAL#{hour}"}


# Due items that failed too often (pattern 50): off their due partition, listed per shop for the owner.
PARKED_PREFIX = "PARKED#"


def parked_partition(shop_id: str) -> str:
    return f"{PARKED_PREFIX}{shop_id}"


def parked_keys(shop_id: str, job: str, ref: str, stamp: str) -> dict[str, str]:
    """GSI1 keys that put one parked item on its shop's list: newest last, then by job and the item's own id."""
    return {GSI1PK: parked_partition(shop_id), GSI1SK: f"{stamp}#{job}#{ref}"}


def parked_entry_parts(sort_key: str) -> tuple[str, str, str]:
    """stamp, job and the item's own id (which may hold "#") read back from a parked entry's sort key."""
    stamp, job, ref = [*sort_key.split("#", 2), "", ""][:3]
    return stamp, job, ref


# Referral code pools (patterns 51 to 53): codes the owner uploads, handed out once each.
REFERRAL_POOL_SHARDS = 4  # GSI1 partitions (and counter items) a pool's available codes are spread over
REFERRAL_CODE_SORT = "REFCODE"


def referral_code_id(code: str) -> str:
    """What makes two codes the same code: discount codes are compared without regard to case on the platforms
    (Shopify, WooCommerce), so `abc` is `ABC`; the code keeps the case it was uploaded with."""
    return code.upper()


def referral_code_key(shop_id: str, code: str) -> dict[str, str]:
    """One code of a shop, in whichever pool it is: its own partition, so an upload heats no key."""
    return {PK: f"REFCODE#{shop_id}#{referral_code_id(code)}", SK: REFERRAL_CODE_SORT}


def referral_pool_shard(code: str) -> int:
    import zlib

    return zlib.crc32(referral_code_id(code).encode()) % REFERRAL_POOL_SHARDS


def referral_available_partition(shop_id: str, pool: str, shard: int) -> str:
    """The GSI1 partition of one shard of a pool's available codes (pattern 52)."""
    return f"REFPOOL#{shop_id}#{pool}#{shard}"


def referral_available_keys(shop_id: str, pool: str, code: str, stamp: str) -> dict[str, str]:
    """GSI1 keys that put an available code on its pool's index, oldest first; REMOVEd when it is handed out."""
    return {
        GSI1PK: referral_available_partition(shop_id, pool, referral_pool_shard(code)),
        GSI1SK: f"{stamp}#{referral_code_id(code)}",
    }


def referral_pool_count_key(shop_id: str, pool: str, shard: int) -> dict[str, str]:
    """One shard of a pool's counters (available, handed_out): the codes of that shard, exact."""
    return {PK: shop_partition(shop_id), SK: f"{REFERRAL_COUNT_PREFIX}{pool}#{shard}"}


def referral_claims_key(shop_id: str) -> dict[str, str]:
    """How many friends have claimed the shop's offer (read with the pools, pattern 53)."""
    return {PK: shop_partition(shop_id), SK: "REFCLAIMS"}


REFERRAL_HOLDER_PREFIX = "REFHOLDER#"
REFERRAL_COUNT_PREFIX = "REFCOUNT#"


def referral_holder_key(shop_id: str, pool: str, holder: str) -> dict[str, str]:
    """The code a holder was handed from a pool: a second claim by the same holder reads it."""
    return {PK: shop_partition(shop_id), SK: f"{REFERRAL_HOLDER_PREFIX}{pool}#{holder}"}


def referral_erased_holder_key(shop_id: str, pool: str, code: str) -> dict[str, str]:
    """What stays of a holder's record once its holder is erased: keyed by the code, not by whom, so the shop's
    erasure still finds the code handed out (pattern 57)."""
    return referral_holder_key(shop_id, pool, f"erased:{referral_code_id(code)}")


# A friend's claim of the give-get offer (patterns 54 to 56).
FRIEND_CLAIM_PREFIX = "CLAIM#"
FRIEND_DUE_PARTITION = "CLAIMDUE"
CLAIMS_PER_VISITOR_DAY = 5
CLAIM_LIMIT_TTL_SECONDS = 2 * 86400


def friend_claim_key(shop_id: str, friend: str) -> dict[str, str]:
    """One friend's claim at one shop, by the keyed hash of their mailbox."""
    return {PK: shop_partition(shop_id), SK: f"{FRIEND_CLAIM_PREFIX}{friend}"}


def friend_due_keys(due_at: str, shop_id: str, friend: str) -> dict[str, str]:
    """GSI1 keys that keep a claim on the due work's list until its code is mailed."""
    return {GSI1PK: FRIEND_DUE_PARTITION, GSI1SK: f"{due_at}#{shop_id}#{friend}"}


def friend_due_until(now: str) -> str:
    """The highest due sort key of a claim due at `now` (every key of that instant sorts below it)."""
    return f"{now}~"


def claim_limit_key(visitor: str, day: str) -> dict[str, str]:
    return {PK: f"CLAIMS#{visitor}", SK: day_sort_key(day)}


# The advocates' rewards (patterns 58 to 62).
REWARD_PREFIX = "REWARD#"
REWARD_DUE_PARTITION = "REWARDDUE"


def reward_id(shop_id: str, order_id: str) -> str:
    """One reward per referred order: the id is the order's, so a redelivery meets the reward already there."""
    import hashlib

    return "rw_" + hashlib.sha256(f"{shop_id}\x00{order_id}".encode()).hexdigest()[:24]


def reward_key(shop_id: str, rid: str) -> dict[str, str]:
    return {PK: shop_partition(shop_id), SK: f"{REWARD_PREFIX}{rid}"}


def reward_list_partition(shop_id: str, status: str) -> str:
    """The GSI1 partition of a shop's rewards in one state (pattern 59)."""
    return f"REWARDS#{shop_id}#{status}"


def reward_list_keys(shop_id: str, status: str, stamp: str, rid: str) -> dict[str, str]:
    return {GSI1PK: reward_list_partition(shop_id, status), GSI1SK: f"{stamp}#{rid}"}


def reward_due_key(shop_id: str, rid: str) -> dict[str, str]:
    """A reward's work left (its code to hand out, its email to send): the due index's marker."""
    return {PK: shop_partition(shop_id), SK: f"REWARDDUE#{rid}"}


def reward_due_keys(due_at: str, shop_id: str, rid: str) -> dict[str, str]:
    return {GSI1PK: REWARD_DUE_PARTITION, GSI1SK: f"{due_at}#{shop_id}#{rid}"}


def reward_due_until(now: str) -> str:
    """The highest due sort key of a reward due at `now`."""
    return f"{now}~"


def reward_counts_key(shop_id: str) -> dict[str, str]:
    """A shop's rewards by state (pending, held, issued, void), moved with each reward (read with pattern 53)."""
    return {PK: shop_partition(shop_id), SK: "REWARDCOUNT"}


def reward_advocate_key(shop_id: str, advocate_id: str) -> dict[str, str]:
    """An advocate's recent referred orders, for the velocity rule."""
    return {PK: shop_partition(shop_id), SK: f"REWARDADV#{advocate_id}"}


def reward_month_key(shop_id: str, advocate_id: str, month: str) -> dict[str, str]:
    """An advocate's pending and issued rewards of one month (yyyy-mm), for the monthly cap."""
    return {PK: shop_partition(shop_id), SK: f"{reward_months_prefix(advocate_id)}{month}"}


def reward_months_prefix(advocate_id: str) -> str:
    """The sort keys of every month item of one advocate (their erasure, pattern 63)."""
    return f"REWARDCAP#{advocate_id}#"


# Every reward item of a shop (rewards, markers, counts, advocates' and months' items) begins so (pattern 63).
REWARD_ITEMS_PREFIX = "REWARD"


def reward_holder(rid: str) -> str:
    """Whom the advocate pool's code of a reward is handed to: the reward, so a retry is handed the same code."""
    return f"reward:{rid}"


# Experiments (patterns 67-69): the ids begin with their creation's stamp, so newest first is key order.
EXPERIMENT_PREFIX = "EXPERIMENT#"
EXPERIMENT_VARIANT_PREFIX = "EXPVARIANT#"
EXPERIMENT_UNIT_PREFIX = "EXPUNIT#"
# Every experiment item of a shop (experiments and their variants' counters) begins so (its erasure).
EXPERIMENT_ITEMS_PREFIX = "EXP"


def experiment_key(shop_id: str, experiment_id: str) -> dict[str, str]:
    return {PK: shop_partition(shop_id), SK: f"{EXPERIMENT_PREFIX}{experiment_id}"}


# Each variant's counters are spread over this many items, added up when read: a viral link's friends' pages
# count their units on one of them at random, so they seldom collide with each other or with a claim.
EXPERIMENT_SHARDS = 8


def experiment_variant_key(shop_id: str, experiment_id: str, variant: str, shard: int = 0) -> dict[str, str]:
    """One shard of a variant's counters (units, conversions) of one experiment; shard 0 is the item the
    experiment's start puts (without a suffix), the others are made by their first ADD."""
    suffix = f"#{shard}" if shard else ""
    return {PK: shop_partition(shop_id), SK: f"{EXPERIMENT_VARIANT_PREFIX}{experiment_id}#{variant}{suffix}"}


def experiment_unit_key(shop_id: str, experiment_id: str, unit: str) -> dict[str, str]:
    """One unit of an experiment (an order, a customer, a friend's visitor): its variant, its outcome window, and
    its outcome (patterns 73-75)."""
    return {PK: shop_partition(shop_id), SK: f"{EXPERIMENT_UNIT_PREFIX}{experiment_id}#{unit}"}


def experiment_close_partition(shard: int) -> str:
    return f"EXPCLOSE#{shard}"


def experiment_close_keys(shop_id: str, experiment_id: str, unit: str, closes_at: str) -> dict[str, str]:
    """GSI1 keys that put one experiment unit on the closing index when its outcome window closes (pattern 75),
    spread over DUE_SHARDS by the unit."""
    import zlib

    shard = zlib.crc32(f"{shop_id}/{experiment_id}/{unit}".encode()) % DUE_SHARDS
    return {GSI1PK: experiment_close_partition(shard), GSI1SK: f"{closes_at}#{shop_id}#{experiment_id}#{unit}"}


ANSWER_WAIT_PREFIX = "ANSWERWAIT#"
ANSWER_DUE_PARTITION = "ANSWERDUE"
ANSWERS_DUE_PARTITION = "ANSWERSDUE"


def answer_wait_key(shop_id: str, created_at: str, rid: str) -> dict[str, str]:
    """An unhappy review waiting for the owner's public answer, sorted oldest first in the shop's partition."""
    return {PK: shop_partition(shop_id), SK: f"{ANSWER_WAIT_PREFIX}{created_at}#{rid}"}


def answer_due_keys(due_at: str, shop_id: str, rid: str) -> dict[str, str]:
    """GSI1 keys putting a waiting review (or, with rid "~", the shop's digest) on the digest's due index."""
    return {GSI1PK: ANSWER_DUE_PARTITION, GSI1SK: f"{due_at}#{shop_id}#{rid}"}


def answer_due_until(now: str) -> str:
    """The highest due sort key of anything due at `now`."""
    return f"{now}~"


def answer_due_parts(sort_key: str) -> tuple[str, str, str]:
    """(due_at, shop_id, rid) of an entry on the digest's due index."""
    due_at, shop_id, rid = sort_key.split("#", 2)
    return due_at, shop_id, rid


def answer_digest_key(shop_id: str) -> dict[str, str]:
    """A shop's digest of unhappy reviews waiting: the day it was last sent (shop's time zone)."""
    return {PK: shop_partition(shop_id), SK: "ANSWERDIGEST"}


def answers_key(shop_id: str) -> dict[str, str]:
    """A shop's answer figures of the last 90 days, as the public listing shows them."""
    return {PK: shop_partition(shop_id), SK: "ANSWERS"}


def answers_due_keys(due_at: str, shop_id: str) -> dict[str, str]:
    return {GSI1PK: ANSWERS_DUE_PARTITION, GSI1SK: f"{due_at}#{shop_id}"}
