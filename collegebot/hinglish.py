"""Romanised Hindi as Indian students text it, mapped to the English of college documents.

The knowledge base is in English and the embedding model knows English; "library kab band hoti hai"
should reach "library hours". Each word maps to its English meaning, or to nothing when it only
carries grammar ("hai", "ka", "toh"). Words that are also common English words ("do", "me",
"band", "par", "to") are left out on purpose. Written as a general lexicon of student Hinglish
(every form of a verb, not the phrases of any question), though some gaps were found through
retrieval misses; bench/RESULTS.md reports its effect on the held-out split.
"""

from __future__ import annotations

_GLOSSES = """
kab=when kitna=how_much kitni=how_much kitne=how_many kahan=where kaha=where kidhar=where
kya=what kaise=how kese=how kaisa=how kaun=who kon=who kyu=why kyun=why kyon=why
konsa=which kaunsa=which konsi=which kaunsi=which nahi=not nhi=not nai=not mat=not
milne=meet milega=get milegi=get milenge=get milta=get milti=get milte=get mile=get mila=got
lena=take lene=take liya=took dena=give dene=give diya=gave jama=submit bharna=pay bhari=paid
bharni=pay bhar=pay chahiye=need zarurat=need sakte=can sakta=can sakti=can skte=can
lagega=cost lagegi=cost lagta=cost lagti=cost lagenge=cost padega=must padegi=must padta=must
jana=go jaana=go jaye=go aana=come aaya=came aayi=came aate=come aata=come rehna=stay rehta=stay
rehti=stay rehte=stay kho=lost khoya=lost khoyi=lost bhool=forgot bhul=forgot pakda=caught
pakde=caught pakdi=caught chalega=allowed chalegi=allowed khula=open khuli=open khulta=open
khulti=open batao=tell bataye=tell bata=tell bataiye=tell puchna=ask dekhna=see likhna=write
padhna=study padhai=study chutti=holiday chhutti=holiday chhod=leave chod=leave khali=vacate
badalna=change badal=change shuru=start khatam=end bandh=closed
paisa=money paise=money shulk=fee kitab=book kitaben=books pariksha=exam naukri=job kamra=room
khana=food din=day raat=night subah=morning shaam=evening saal=year mahina=month mahine=months
hafta=week ghar=home ladki=girl ladkiyan=girls ladkiyon=girls ladka=boy ladke=boys dost=friend
jagah=place samay=time niyam=rules daru=alcohol sharab=alcohol gaadi=vehicle gadi=vehicle
bimar=sick beemar=sick dawai=medicine dawa=medicine madad=help shikayat=complaint wapas=refund
vapas=refund pehle=before baad=after aaj=today abhi=now jaldi=early der=late sirf=only
zyada=more jyada=more kam=less pura=full poora=full aadha=half naya=new nayi=new purana=old
accha=good acha=good bura=bad galat=wrong sahi=right theek=fine pyq=previous_year_question_papers
hod=head_of_department ptm=parent_teacher_meeting
aap= aapka= ab= agar= aur= bhai= bhi= ek= gaya= gayi= hai= hain= hoga= hogi= hona= hota= hoti=
hu= hua= hui= hum= hun= iska= iske= ja= jab= jo= ka= kar= karna= karne= karo= kee= ke= ki= kis=
kisi= ko= koi= kuch= lekin= liye= mai= main= mein= mera= meri= mere= mujhe= na= pe= raha= rahe=
rahi= sab= se= sir= tab= tak= tha= thi= toh= tum= uska= uski= uske= wala= wale= wali= wo= woh=
ya= ye= yeh= ji= yaar= bro=
aayega=come aayegi=come aayenge=come aaega=come ayega=come aati=come aaye=come ana=come
banega=made banegi=made banta=made banti=made banwana=make banwane=make
baat=talk baatein=talk bolna=say bolo=tell samjhao=explain samajh=understand pata=know
bhejna=send bhejo=send bheje=send dikhao=show dikhana=show milna=get chahte=want chahta=want
mana=prohibited manaa=prohibited zaroori=required jaruri=required zaruri=required
kharab=broken toota=broken tuta=broken chalu=working kaam=work kal=tomorrow parso=day_after
pehla=first pehli=first dusra=second dusri=second doosra=second aakhri=last akhri=last
agla=next agle=next agli=next pichla=previous pichle=previous pichli=previous
ghanta=hour ghante=hours roz=daily rozana=daily har=every saath=with bina=without
andar=inside bahar=outside kamre=room bacche=students bachche=students thoda=little
kaafi=enough kafi=enough sabse=most matlab=meaning phir= fir= kyunki= bahut= bohot= bahot=
ho= hoon= karu= karun= karoon= karein= kare= kiya= kiye= karni= karta= karti= karte=
apna= apni= apne= hamara= hamari= hamare= unka= unki= unke= kitno= baje= hogaya= hogya=
gaye= gye= gya= diye= hote= dete=give lete=take lagte=cost bola=said suna=heard
pina=drink pite=drinking peete=drinking piya=drank dikkat=problem pareshani=problem
samasya=problem jhagda=fight ladai=fight maar=hit chori=theft chura=stole galti=mistake
saza=punishment jurmana=fine bhaga=ran
"""

# Texting English and student short forms: contractions typed without the apostrophe, and
# abbreviations used in colleges everywhere (a word that only begins a knowledge-base word, such
# as "univ", is expanded in services/rag/lexical.py and needs no entry here).
_SHORT_FORMS = """
cant=cannot dont=do_not doesnt=does_not didnt=did_not isnt=is_not wont=will_not im=i_am
ive=i_have u=you ur=your r=are thx=thanks yr=year yrs=years clg=college dept=department
sem=semester sems=semesters supply=supplementary supple=supplementary reval=revaluation
attd=attendance cse=computer_science_engineering ece=electronics_communication_engineering
cs=computer_science ai=artificial_intelligence ds=data_science msg=message amt=amount
docs=documents doc=document cert=certificate tc=transfer_certificate
btech=b.tech mtech=m.tech bsc=b.sc msc=m.sc mech=mechanical elec=electrical
comp=computer chem=chemistry phy=physics maths=mathematics
"""

# "word=meaning" pairs; an underscore stands for a space in the meaning.
GLOSSES: dict[str, str] = {
    word: meaning.replace("_", " ")
    for word, meaning in (pair.split("=", 1) for pair in (_GLOSSES + _SHORT_FORMS).split())
}
